// Recording sent SMS, polling and applying delivery statuses, watching the balance.
#include "auth/sms_delivery.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "core/log.hpp"

namespace sms_auth {
namespace {

const char* applied_name(SmsStatusApplied applied) {
  switch (applied) {
    case SmsStatusApplied::unknown_message:
      return "unknown_message";
    case SmsStatusApplied::unchanged:
      return "unchanged";
    case SmsStatusApplied::changed:
      return "changed";
    case SmsStatusApplied::became_final:
      return "became_final";
    case SmsStatusApplied::duplicate_event:
      return "duplicate_event";
    case SmsStatusApplied::stale_event:
      return "stale_event";
  }
  return "unknown";
}

}  // namespace

SmsDelivery::SmsDelivery(SmsGateway* gateway, AsyncSmsMessageLog& storage, const TimeSource& clock,
                         MetricsRegistry& metrics, SmsDeliveryOptions options)
    : gateway_(gateway),
      storage_(storage),
      clock_(clock),
      options_(options),
      final_statuses_(metrics.counter("sms_auth_sms_delivery_final_total",
                                      "Sent SMS that reached a final delivery status, by status (DELIVRD, UNDELIV, "
                                      "REJECTD, EXPIRED, DELETED)",
                                      {"status"})),
      reports_(metrics.counter("sms_auth_sms_status_reports_total",
                               "Delivery statuses received, by source (poll, webhook) and what they did",
                               {"source", "result"})),
      moderation_(metrics.counter("sms_auth_sms_held_for_moderation_total",
                                  "Sent SMS the gateway held for a moderator's check (Mobizon status 1)")),
      sent_(metrics.counter("sms_auth_sms_sent_total", "SMS a gateway accepted, by gateway (mobizon, http)",
                            {"gateway"})),
      balance_(metrics.gauge("sms_auth_sms_balance", "The SMS gateway's (Mobizon) account balance, by currency",
                             {"currency"})) {}

awaitable<result<SentSms, SendFailure>> SmsDelivery::send(OutgoingSms sms) {
  if (gateway_ == nullptr) throw std::logic_error("SmsDelivery::send without a gateway");
  const std::string phone = sms.recipient_e164;
  const LogContext log = sms.log;
  auto sending = gateway_->send(std::move(sms));  // named (core/async.hpp)
  auto sent = co_await std::move(sending);
  if (!sent) co_return sent;
  if (sent->held_for_moderation) moderation_.get().inc();
  if (sent->gateway.empty()) sent->gateway = std::string(gateway_->name());
  sent_.labels({sent->gateway}).inc();
  try {
    SmsMessageRecord record{.message_id = sent->message_id,
                            .phone_number = phone,
                            .status = kSmsStatusSent,
                            .held_for_moderation = sent->held_for_moderation,
                            .sent_at = clock_.now(),
                            .gateway = sent->gateway};
    auto recording = storage_.record_sent_sms(std::move(record));  // named (core/async.hpp)
    co_await std::move(recording);
  } catch (const StorageUnavailable& e) {
    // The SMS is out and the user is waiting for it: losing its delivery record is the smaller harm.
    log_event(LogLevel::error, log, "sms.record",
              {{"result", "failed"}, {"sms_id", log_safe(sent->message_id)}, {"phone", mask_phone(phone)}}, e.what());
  }
  co_return sent;
}

void SmsDelivery::count(const char* source, SmsStatusApplied applied, const std::string& status) {
  reports_.labels({source, applied_name(applied)}).inc();
  if (applied == SmsStatusApplied::became_final) final_statuses_.labels({status}).inc();
}

awaitable<result<std::size_t>> SmsDelivery::poll_statuses() {
  if (gateway_ == nullptr) co_return std::size_t{0};
  const TimePoint now = clock_.now();
  const auto since = now - std::chrono::duration_cast<Milliseconds>(options_.track_for);
  // Only the gateway that reports statuses (Mobizon) is asked, and only about its own messages.
  const std::string source(gateway_->status_source());
  if (source.empty() || gateway_->max_status_batch() == 0) co_return std::size_t{0};
  // named (core/async.hpp)
  auto claiming = storage_.claim_sms_to_check(now, since, gateway_->max_status_batch(), source);
  std::vector<std::string> ids = co_await std::move(claiming);
  if (ids.empty()) co_return std::size_t{0};
  const std::size_t asked = ids.size();
  auto asking = gateway_->delivery_statuses(std::move(ids));  // named (core/async.hpp)
  auto statuses = co_await std::move(asking);
  if (!statuses) co_return statuses.error();

  const std::vector<SmsDeliveryStatus>& updates = *statuses;
  auto applying = storage_.apply_sms_statuses(updates, clock_.now());  // named (core/async.hpp)
  const std::vector<SmsStatusApplied> applied = co_await std::move(applying);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < applied.size() && i < updates.size(); ++i) {
    count("poll", applied[i], updates[i].status);
    if (applied[i] == SmsStatusApplied::changed || applied[i] == SmsStatusApplied::became_final) {
      ++changed;
      spdlog::info("sms.status sms_id={} status={} final={} source=poll", log_safe(updates[i].message_id),
                   log_safe(updates[i].status, 32), updates[i].final);
    }
  }
  spdlog::debug("sms.poll asked={} answered={} changed={}", asked, statuses->size(), changed);
  co_return changed;
}

awaitable<SmsStatusApplied> SmsDelivery::apply_report(std::string event_id, SmsDeliveryStatus status,
                                                      TimePoint event_created_at) {
  const TimePoint now = clock_.now();
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - event_created_at);
  if (age > options_.report_max_age || -age > options_.report_max_clock_skew) {
    count("webhook", SmsStatusApplied::stale_event, status.status);
    // Every event off by about the same amount means the gateway's clock is in another time zone.
    spdlog::warn("sms.report ignored event={} sms_id={}: created {}s {} (accepted: up to {}s ago); if every report is "
                 "off by about the same, set MOBIZON_WEBHOOK_UTC_OFFSET_MINUTES to the gateway clock's offset",
                 log_safe(event_id), log_safe(status.message_id), age.count() < 0 ? -age.count() : age.count(),
                 age.count() < 0 ? "in the future" : "ago",
                 std::chrono::duration_cast<std::chrono::seconds>(options_.report_max_age).count());
    co_return SmsStatusApplied::stale_event;
  }
  auto applying = storage_.apply_sms_report(event_id, status, now);  // named (core/async.hpp)
  const SmsStatusApplied applied = co_await std::move(applying);
  count("webhook", applied, status.status);
  if (applied == SmsStatusApplied::unknown_message) {
    spdlog::warn("sms.report ignored event={} sms_id={}: not a message this service sent", log_safe(event_id),
                 log_safe(status.message_id));
  } else {
    spdlog::info("sms.status sms_id={} status={} final={} source=webhook event={} result={}",
                 log_safe(status.message_id), log_safe(status.status, 32), status.final, log_safe(event_id),
                 applied_name(applied));
  }
  co_return applied;
}

awaitable<std::vector<SmsMessageRecord>> SmsDelivery::recent_messages(std::string e164, std::size_t limit) {
  auto listing = storage_.recent_sms(std::move(e164), limit);  // named (core/async.hpp)
  co_return co_await std::move(listing);
}

awaitable<result<GatewayBalance>> SmsDelivery::check_balance() {
  if (gateway_ == nullptr) {
    co_return make_error(errc::sms_unavailable, "SMS test mode: there is no SMS gateway to ask");
  }
  auto asking = gateway_->balance();  // named (core/async.hpp)
  auto balance = co_await std::move(asking);
  if (!balance) co_return balance;
  double amount = 0;
  std::from_chars(balance->amount.data(), balance->amount.data() + balance->amount.size(), amount);
  balance_.labels({balance->currency}).set(amount);
  if (options_.balance_warn_below && amount < *options_.balance_warn_below) {
    spdlog::warn(
        "sms.balance low: {} {} is below SMS_BALANCE_WARN_BELOW={}: top up the Mobizon balance before "
        "sending stops",
        balance->amount, log_safe(balance->currency, 8), *options_.balance_warn_below);
  } else {
    spdlog::info("sms.balance {} {}", balance->amount, log_safe(balance->currency, 8));
  }
  co_return balance;
}

awaitable<std::size_t> SmsDelivery::prune() {
  const TimePoint now = clock_.now();
  auto pruning = storage_.prune_sms(now - std::chrono::duration_cast<Milliseconds>(options_.keep_messages_for),
                                    now - std::chrono::duration_cast<Milliseconds>(options_.keep_webhook_events_for));
  co_return co_await std::move(pruning);
}

}  // namespace sms_auth
