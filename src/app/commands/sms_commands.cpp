// `balance` and `send-test`: talk to Mobizon from the command line with the service's configuration, and say in one
// line what is wrong when it does not work. Neither ever prints the API key.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>
#include <optional>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/factories.hpp"
#include "auth/phone_number.hpp"
#include "auth/sms_delivery.hpp"
#include "auth/sms_text.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace sms_auth {
namespace {

namespace asio = boost::asio;

// co_spawn needs a default-constructible value; result<> is not, std::optional<result<>> is.
template <class T>
awaitable<std::optional<T>> as_optional(awaitable<T> work) {
  co_return co_await std::move(work);
}

// Runs one Mobizon call to completion on a private io_context and returns its result.
template <class T>
T run_call(asio::io_context& io, awaitable<T> work) {
  std::optional<T> outcome;
  std::exception_ptr failure;
  asio::co_spawn(io, as_optional(std::move(work)),
                 [&outcome, &failure](std::exception_ptr error, std::optional<T> value) {
                   failure = error;
                   outcome = std::move(value);
                 });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!outcome) throw std::runtime_error("the call did not finish");
  return std::move(*outcome);
}

int print_balance() {
  const auto config = load_config_or_report();
  if (!config) return kExitUsage;
  init_logging({"off", false});  // the one-line reason below is the whole output
  asio::io_context io;
  MetricsRegistry metrics;
  auto api = open_mobizon(*config, io, metrics);
  auto balance = run_call(io, api->get_balance());
  if (!balance) throw std::runtime_error(balance.error().explanation);
  std::cout << balance->amount << " " << balance->currency << "\n";
  return kExitOk;
}

int send_test(const std::string& phone_input) {
  const auto config = load_config_or_report();
  if (!config) return kExitUsage;
  if (config->sms_test_mode) {
    throw ConfigurationError("SMS_TEST_MODE",
                             "is true: this deployment sends no SMS; set SMS_TEST_MODE=false to send "
                             "a real test message");
  }
  init_logging({"off", false});
  const PhoneNumberParser phones(config->default_region, config->allowed_countries);
  const auto phone = phones.parse(phone_input);
  if (!phone) {
    std::cerr << "sms-auth send-test: " << phone.error().detail << "\n";
    return kExitUsage;
  }
  // A real-looking message from the configured template, with a random code that is never stored: it opens nothing.
  std::string code;
  for (int i = 0; i < 6; ++i) code += static_cast<char>('0' + random_below(10));
  const std::string text = compose_sms_text(config->sms_texts, config->sms_texts.default_locale, code,
                                            (config->otp.code_ttl.count() + 59) / 60);

  asio::io_context io;
  MetricsRegistry metrics;
  auto api = open_mobizon(*config, io, metrics);
  auto sent = run_call(io, api->send_sms(phone->digits(), text));
  if (!sent) throw std::runtime_error(sent.error().explanation);

  std::cout << "sent to " << mask_phone(phone->e164) << ": Mobizon message id " << sent->message_id;
  if (sent->held_for_moderation()) {
    std::cout << " (held for moderation: Mobizon's moderators check it within 1-10 minutes before it is delivered)";
  }
  std::cout << "\n";

  // Best effort: with the service's database at hand, the running server polls this message's delivery status too
  // (GET /api/v1/admin/sms/messages?phone=…).
  try {
    auto repository = open_repository(*config);
    if (repository->schema_version() == repository->expected_schema_version()) {
      repository->record_sent_sms(SmsMessageRecord{.message_id = sent->message_id,
                                                   .phone_number = phone->e164,
                                                   .status = kSmsStatusSent,
                                                   .held_for_moderation = sent->held_for_moderation(),
                                                   .sent_at = SystemTimeSource{}.now(),
                                                   .gateway = "mobizon"});
    }
  } catch (const std::exception& e) {
    std::cerr << "sms-auth send-test: sent, but not recorded in the database: " << redact_secrets(e.what()) << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_balance_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("balance", "Print the Mobizon balance, e.g. \"4043.0656 KZT\" (MOBIZON_API_KEY)");
  command->callback([&exit_code] { exit_code = run_command("balance", print_balance); });
}

void add_send_test_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("send-test", "Send one real SMS with the configured template, to check the setup");
  auto phone = std::make_shared<std::string>();
  command->add_option("PHONE", *phone, "the number to send to, e.g. +77472367503")->required();
  command->callback(
      [&exit_code, phone] { exit_code = run_command("send-test", [phone] { return send_test(*phone); }); });
}

}  // namespace sms_auth
