// OtpService over a real SQLite file (through the storage engine), a scripted sender and a hand-moved clock: the code
// that is sent logs in once, wrong codes count, a bad number or a limit costs no SMS, and what a failed send leaves.
#include "auth/otp_service.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <regex>

#include "core/run_to_completion.hpp"
#include "storage/sqlite/sqlite_repository.hpp"
#include "testing/manual_clock.hpp"

namespace sms_auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kPhone = "+77472367503";

// Records what it is asked to send, or fails as the test says.
class ScriptedSender final : public SmsSender {
 public:
  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override {
    asked.push_back(sms);
    if (failure) co_return *failure;
    co_return SentSms{"sms-" + std::to_string(asked.size()), false, "test"};
  }

  std::string last_code() const {
    std::smatch match;
    const std::string& text = asked.back().text;
    return std::regex_search(text, match, std::regex(R"(\b(\d{6})\b)")) ? match[1].str() : "";
  }

  std::vector<OutgoingSms> asked;
  std::optional<SendFailure> failure;
};

// The defaults as start-up builds them (templates included); test mode needs no gateway settings, and the scripted
// sender stands in for any.
Config test_config() {
  auto config = load_config({{"SMS_TEST_MODE", "true"}});
  if (!config) throw std::logic_error("the test configuration does not load");
  return *config;
}

class OtpServiceTest : public ::testing::Test {
 protected:
  OtpServiceTest()
      : directory_(std::filesystem::temp_directory_path() / ("otp-service-test-" + random_uuid())),
        config_(test_config()),
        phones_(config_.default_region, config_.allowed_countries),
        codec_(Bytes(32, 5)),
        limits_(config_.limits),
        tokens_({std::make_shared<Hs256Key>(Bytes(32, 7))}, "sms-auth", "memoir", seconds(1800)),
        storage_(open_engine(directory_)),
        otp_metrics_(metrics_),
        service_({config_.otp, config_.sessions, config_.sms_texts}, phones_, codec_, limits_, tokens_, *storage_,
                 sender_, clock_, otp_metrics_) {
    spdlog::default_logger();
  }
  ~OtpServiceTest() override {
    storage_.reset();
    std::filesystem::remove_all(directory_);
  }

  static std::unique_ptr<StorageEngine> open_engine(const std::filesystem::path& directory) {
    std::filesystem::create_directories(directory);
    const std::string path = (directory / "db.sqlite").string();
    SqliteRepository(path).migrate();
    return std::make_unique<StorageEngine>(sqlite_storage_backend(path));
  }

  result<CodeSent> send(const std::string& phone, const std::string& client = "203.0.113.1", bool resend = false) {
    SendCodeCommand command;
    command.phone_input = phone;
    command.client_address = client;
    command.resend = resend;
    return run_to_completion(service_.send_code(std::move(command)));
  }

  result<LoginSucceeded> verify(const std::string& phone, const std::string& code,
                                const std::string& client = "203.0.113.1") {
    return run_to_completion(service_.verify_code(VerifyCodeCommand{phone, code, client, {}}));
  }

  // A six-digit code other than `code`.
  static std::string other_than(const std::string& code) { return code == "000000" ? "111111" : "000000"; }

  std::filesystem::path directory_;
  Config config_;
  PhoneNumberParser phones_;
  OtpCodec codec_;
  LimitPolicy limits_;
  AccessTokens tokens_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<StorageEngine> storage_;
  OtpMetrics otp_metrics_;
  ScriptedSender sender_;
  OtpService service_;
};

TEST_F(OtpServiceTest, TheCodeSentLogsInOnceAndCreatesTheUser) {
  const auto sent = send("8 (747) 236-75-03");
  ASSERT_TRUE(sent) << sent.error().detail;
  ASSERT_EQ(sender_.asked.size(), 1U);
  EXPECT_EQ(sender_.asked[0].recipient_e164, kPhone);
  EXPECT_EQ(sent->sms_id, "sms-1");
  EXPECT_EQ(sent->expires_in, config_.otp.code_ttl.count());
  const std::string code = sender_.last_code();
  ASSERT_EQ(code.size(), 6U);

  const auto login = verify(kPhone, code);
  ASSERT_TRUE(login) << login.error().detail;
  EXPECT_TRUE(login->user_created);
  EXPECT_EQ(login->user.phone_number, kPhone);
  EXPECT_FALSE(login->refresh_token.empty());
  EXPECT_FALSE(login->access_token.token.empty());

  const auto again = verify(kPhone, code);  // consumed: answered as a wrong code, as the contract says
  ASSERT_FALSE(again) << "a code logged in twice";
  EXPECT_EQ(again.error().code, errc::invalid_code);
}

// The session's id is time-ordered (its rows append to the storage's B-trees); the user's is random, so the `sub` of
// every token does not tell when the account was made.
TEST_F(OtpServiceTest, ALoginsSessionIdIsTimeOrderedAndItsUserIdStaysRandom) {
  ASSERT_TRUE(send(kPhone));
  const auto login = verify(kPhone, sender_.last_code());
  ASSERT_TRUE(login) << login.error().detail;
  const auto& claims = login->access_token.claims;
  EXPECT_EQ(claims.session_id.substr(0, 13), "018bcfe5-6800") << "not the clock's millisecond first";  // ManualClock
  EXPECT_EQ(claims.session_id[14], '7') << claims.session_id;
  EXPECT_EQ(claims.subject[14], '4') << "the user id must be a random UUID: " << claims.subject;
  EXPECT_EQ(login->user.id, claims.subject);
}

TEST_F(OtpServiceTest, AReturningUserLogsInToTheSameAccount) {
  ASSERT_TRUE(send(kPhone));
  const auto first = verify(kPhone, sender_.last_code());
  ASSERT_TRUE(first);
  clock_.advance(minutes(2));
  ASSERT_TRUE(send(kPhone));
  const auto second = verify(kPhone, sender_.last_code());
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->user_created);
  EXPECT_EQ(second->user.id, first->user.id);
}

TEST_F(OtpServiceTest, AWrongCodeCountsAndSaysHowManyTriesAreLeft) {
  ASSERT_TRUE(send(kPhone));
  const std::string code = sender_.last_code();
  const auto wrong = verify(kPhone, other_than(code));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::invalid_code);
  EXPECT_EQ(wrong.error().attempts_left, config_.otp.max_attempts - 1);
  EXPECT_TRUE(verify(kPhone, code));
}

TEST_F(OtpServiceTest, TheLastWrongTryEndsTheCodeAndTheRightOneNoLongerWorks) {
  ASSERT_TRUE(send(kPhone));
  const std::string code = sender_.last_code();
  for (int i = 0; i < config_.otp.max_attempts; ++i) ASSERT_FALSE(verify(kPhone, other_than(code)));
  const auto late = verify(kPhone, code);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, errc::too_many_attempts);
}

TEST_F(OtpServiceTest, AnExpiredCodeIsRefused) {
  ASSERT_TRUE(send(kPhone));
  const std::string code = sender_.last_code();
  clock_.advance(config_.otp.code_ttl + seconds(1));
  const auto late = verify(kPhone, code);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, errc::code_expired);
}

TEST_F(OtpServiceTest, ANumberThatIsNotAMobileOfAnAllowedCountrySendsNothing) {
  for (const char* input : {"+7 751 123 45 67", "12345", "+998 90 123 45 67", ""}) {
    const auto refused = send(input);
    ASSERT_FALSE(refused) << input;
    EXPECT_EQ(refused.error().code, errc::invalid_phone_number) << input;
  }
  EXPECT_TRUE(sender_.asked.empty());
}

TEST_F(OtpServiceTest, ACodeThatIsNotSixDigitsIsAnInvalidRequestAndCountsNothing) {
  ASSERT_TRUE(send(kPhone));
  const auto malformed = verify(kPhone, "12ab56");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, errc::invalid_request);
  const auto wrong = verify(kPhone, other_than(sender_.last_code()));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().attempts_left, config_.otp.max_attempts - 1);  // the malformed one was not a try
}

TEST_F(OtpServiceTest, ASecondSendWithinTheCooldownIsRateLimitedAndSendsNothing) {
  ASSERT_TRUE(send(kPhone));
  const auto early = send(kPhone, "203.0.113.2");
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, errc::rate_limited);
  EXPECT_GE(early.error().retry_after_seconds.value_or(0), 1);
  EXPECT_EQ(sender_.asked.size(), 1U);
  clock_.advance(config_.limits.resend_cooldown);
  EXPECT_TRUE(send(kPhone, "203.0.113.2"));
  EXPECT_EQ(sender_.asked.size(), 2U);
}

TEST_F(OtpServiceTest, ARefusedSendLeavesNoCodeThatCouldLogIn) {
  SendFailure refused{SendOutcome::refused, make_error(errc::sms_rejected, "refused")};
  sender_.failure = refused;
  const auto sent = send(kPhone);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, errc::sms_rejected);
  const std::string code = sender_.last_code();
  sender_.failure.reset();
  const auto login = verify(kPhone, code);
  ASSERT_FALSE(login) << "the code of an SMS that was never sent logged in";
}

TEST_F(OtpServiceTest, APossiblySentSmsKeepsItsCodeAndTheNextSendRepeatsIt) {
  SendFailure lost{SendOutcome::possibly_sent, make_error(errc::sms_unavailable, "lost")};
  lost.error.retry_after_seconds = 60;
  sender_.failure = lost;
  const auto sent = send(kPhone);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, errc::sms_unavailable);
  const std::string first_code = sender_.last_code();
  sender_.failure.reset();
  clock_.advance(config_.limits.resend_cooldown);
  ASSERT_TRUE(send(kPhone));
  EXPECT_EQ(sender_.last_code(), first_code) << "a second, different code would make the first SMS useless";
  EXPECT_TRUE(verify(kPhone, first_code));
}

TEST_F(OtpServiceTest, ResendSendsTheLiveCodeAgain) {
  ASSERT_TRUE(send(kPhone));
  const std::string code = sender_.last_code();
  clock_.advance(config_.limits.resend_cooldown);
  ASSERT_TRUE(send(kPhone, "203.0.113.1", /*resend=*/true));
  EXPECT_EQ(sender_.last_code(), code);
  EXPECT_TRUE(verify(kPhone, code));
}

}  // namespace
}  // namespace sms_auth
