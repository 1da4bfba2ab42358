// ConversionMonitor over a real SQLite file (read through the storage engine): per-country conversion from every instance's events, the low
// flag only after the sample, gauges that drop when a country leaves the window, blocked ranges counted.
#include "ratelimit/conversion_monitor.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/run_to_completion.hpp"
#include "ratelimit/limit_policy.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kStart = from_unix_ms(1'700'000'000'000);

class ConversionMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("sms-auth-conversion-" + random_uuid() + ".db");
    repository_ = std::make_unique<SqliteRepository>(path_.string());
    repository_->migrate();
    storage_ = std::make_unique<StorageEngine>(sqlite_storage_backend(path_.string()));
    config_.limits.fraud_min_samples = 3;
    config_.limits.fraud_min_conversion = 0.5;
    config_.limits.fraud_window = hours(2);
  }
  void TearDown() override {
    storage_.reset();
    repository_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  // One SMS to `phone`, tallied as LimitPolicy does (per prefix through its velocity limit, per country).
  void sent(const PhoneNumber& phone, TimePoint at) {
    const LimitPolicy policy(config_.limits);
    IssueCodeRequest request;
    request.phone_number = phone.e164;
    request.now = at;
    request.new_seed = Bytes(16, 1);
    request.new_code_hash = Bytes(32, 2);
    request.new_expires_at = at + minutes(5);
    request.limits = {{"per_prefix_hour", std::string(limit_bucket::kSmsPerPrefix) + phone.prefix(), 1000, hours(1)}};
    request.tallies = policy.send_tallies(phone);
    request.reservation_id = random_uuid();
    ASSERT_TRUE(repository_->issue_code(request));
  }

  void verified(const PhoneNumber& phone, TimePoint at) {
    const LimitPolicy policy(config_.limits);
    VerifyCodeRequest request;
    request.phone_number = phone.e164;
    request.now = at;
    request.success_tallies = policy.success_tallies(phone);
    request.submitted_code_hash = Bytes(32, 2);  // the hash the code was issued with
    request.session = NewSession{random_uuid(), random_uuid(), random_bytes(32), at + hours(1), at + hours(2)};
    ASSERT_EQ(repository_->verify_code(request).status, VerifyStatus::verified);
  }

  static PhoneNumber kz(int n) { return {"+7747236" + std::to_string(1000 + n), "KZ"}; }
  static PhoneNumber ru(int n) { return {"+7912345" + std::to_string(1000 + n), "RU"}; }

  Config config_;
  MetricsRegistry metrics_;
  Family<Counter>& alerts_ = metrics_.counter("sms_auth_limit_alerts_total", "alerts", {"limit"});
  std::filesystem::path path_;
  std::unique_ptr<SqliteRepository> repository_;  // writes the events, as the instances do
  std::unique_ptr<StorageEngine> storage_;         // what the monitor reads through
};

TEST_F(ConversionMonitorTest, ReportsSentAndVerifiedPerCountryAndFlagsOnlyLowCountriesPastTheSample) {
  for (int i = 0; i < 4; ++i) sent(kz(i), kStart);
  verified(kz(0), kStart);
  sent(ru(0), kStart);
  sent(ru(1), kStart);  // converts 0 of 2, but 2 is under the sample of 3

  ConversionMonitor monitor(config_.limits, *storage_, metrics_, alerts_);
  const auto report = run_to_completion(monitor.check(kStart + minutes(1)));
  ASSERT_EQ(report.countries.size(), 2u);
  EXPECT_EQ(report.countries[0].region, "KZ");
  EXPECT_EQ(report.countries[0].sent, 4);
  EXPECT_EQ(report.countries[0].verified, 1);
  EXPECT_TRUE(report.countries[0].low);
  EXPECT_EQ(report.countries[1].region, "RU");
  EXPECT_EQ(report.countries[1].sent, 2);
  EXPECT_FALSE(report.countries[1].low);

  const auto text = metrics_.render();
  EXPECT_NE(text.find("sms_auth_conversion_ratio{country=\"KZ\"} 0.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sms_auth_conversion_sms_sent{country=\"RU\"} 2\n"), std::string::npos) << text;
  EXPECT_EQ(alerts_.labels({"conversion_country"}).value(), 1u);
}

TEST_F(ConversionMonitorTest, AlertsOncePerWindowForALowCountry) {
  for (int i = 0; i < 3; ++i) sent(kz(i), kStart);
  ConversionMonitor monitor(config_.limits, *storage_, metrics_, alerts_);
  run_to_completion(monitor.check(kStart + minutes(1)));
  run_to_completion(monitor.check(kStart + minutes(2)));
  EXPECT_EQ(alerts_.labels({"conversion_country"}).value(), 1u);
  for (int i = 3; i < 6; ++i) sent(kz(i), kStart + hours(2));
  run_to_completion(monitor.check(kStart + hours(2) + minutes(1)));  // a new window, still not converting
  EXPECT_EQ(alerts_.labels({"conversion_country"}).value(), 2u);
}

TEST_F(ConversionMonitorTest, ACountryLeavingTheWindowDropsToZeroInsteadOfFreezing) {
  for (int i = 0; i < 3; ++i) sent(kz(i), kStart);
  ConversionMonitor monitor(config_.limits, *storage_, metrics_, alerts_);
  EXPECT_TRUE(run_to_completion(monitor.check(kStart + minutes(1))).countries.at(0).low);
  const auto later = run_to_completion(monitor.check(kStart + hours(3)));
  ASSERT_EQ(later.countries.size(), 1u);
  EXPECT_EQ(later.countries[0].sent, 0);
  EXPECT_FALSE(later.countries[0].low);
  EXPECT_NE(metrics_.render().find("sms_auth_conversion_sms_sent{country=\"KZ\"} 0\n"), std::string::npos);
}

TEST_F(ConversionMonitorTest, CountsTheRangesTheConversionWatchRefuses) {
  for (int i = 0; i < 3; ++i) sent(kz(i), kStart);                                          // blocked: 0 of 3
  for (int i = 0; i < 3; ++i) sent({"+7701555" + std::to_string(1000 + i), "KZ"}, kStart);  // 2 of 3 verified
  verified({"+77015551000", "KZ"}, kStart);
  verified({"+77015551001", "KZ"}, kStart);
  sent(ru(0), kStart);  // under the sample

  ConversionMonitor monitor(config_.limits, *storage_, metrics_, alerts_);
  EXPECT_EQ(run_to_completion(monitor.check(kStart + minutes(1))).blocked_prefixes, 1);
  EXPECT_NE(metrics_.render().find("sms_auth_conversion_blocked_prefixes 1\n"), std::string::npos);
}

TEST_F(ConversionMonitorTest, ZeroMinimumConversionNeverFlagsAnything) {
  config_.limits.fraud_min_conversion = 0;
  for (int i = 0; i < 5; ++i) sent(kz(i), kStart);
  ConversionMonitor monitor(config_.limits, *storage_, metrics_, alerts_);
  const auto report = run_to_completion(monitor.check(kStart + minutes(1)));
  EXPECT_FALSE(report.countries.at(0).low);
  EXPECT_EQ(report.blocked_prefixes, 0);
}

}  // namespace
}  // namespace sms_auth
