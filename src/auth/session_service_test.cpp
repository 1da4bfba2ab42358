// SessionService over a real SQLite file (through the storage engine) with a hand-moved clock: rotation, reuse grace, idle and absolute
// expiry, logout, blocking, and concurrent refreshes of one token.
#include "auth/session_service.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>
#include <thread>

#include "auth/refresh_token.hpp"
#include "core/run_to_completion.hpp"
#include "storage/sqlite/sqlite_repository.hpp"
#include "testing/manual_clock.hpp"

namespace sms_auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A database file in a fresh directory of its own.
std::string database_in(const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  return (directory / "db.sqlite").string();
}

class SessionServiceTest : public ::testing::Test {
 protected:
  SessionServiceTest()
      : directory_(std::filesystem::temp_directory_path() / ("session-service-test-" + random_uuid())),
        repository_(database_in(directory_)),
        storage_(sqlite_storage_backend(database_in(directory_))),
        tokens_({std::make_shared<Hs256Key>(Bytes(32, 7))}, "sms-auth", "memoir", seconds(1800)),
        session_metrics_(metrics_),
        service_(config_.sessions, tokens_, storage_, clock_, session_metrics_) {
    repository_.migrate();
    config_.sessions.refresh_token_ttl = hours(24 * 30);
    config_.sessions.refresh_token_idle = hours(24 * 30);
    config_.sessions.refresh_reuse_grace = seconds(10);
  }
  ~SessionServiceTest() override { std::filesystem::remove_all(directory_); }

  struct Login {
    std::string refresh_token;
    std::string session_id;
    std::string user_id;
  };

  // A login as verify-code leaves it: user, session and first refresh token, through the repository's own call.
  Login login(const std::string& phone) {
    const TimePoint now = clock_.now();
    IssueCodeRequest issue;
    issue.phone_number = phone;
    issue.now = now;
    issue.new_seed = Bytes(16, 1);
    issue.new_code_hash = Bytes(32, 2);
    issue.new_expires_at = now + minutes(5);
    issue.reservation_id = random_uuid();
    EXPECT_TRUE(repository_.issue_code(issue));

    Login out{new_refresh_token(), random_uuid(), {}};
    VerifyCodeRequest verify;
    verify.phone_number = phone;
    verify.now = now;
    verify.submitted_code_hash = Bytes(32, 2);  // the hash the code was issued with
    verify.session = NewSession{out.session_id, random_uuid(), refresh_token_hash(out.refresh_token),
                                now + std::chrono::duration_cast<Milliseconds>(config_.sessions.refresh_token_idle),
                                now + std::chrono::duration_cast<Milliseconds>(config_.sessions.refresh_token_ttl)};
    const auto verified = repository_.verify_code(verify);
    EXPECT_EQ(verified.status, VerifyStatus::verified);
    out.user_id = verified.user.id;
    return out;
  }

  result<TokenPair> refresh(const std::string& token) {
    return run_to_completion(service_.refresh(RefreshCommand{token, "127.0.0.1"}));
  }

  // The refresh must fail with invalid_grant.
  void expect_refused(const std::string& token) {
    const auto outcome = refresh(token);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, errc::invalid_grant);
  }

  std::string refreshed(const std::string& token) {
    auto outcome = refresh(token);
    EXPECT_TRUE(outcome) << (outcome ? "" : outcome.error().detail);
    return outcome ? outcome->refresh_token : std::string{};
  }

  std::string session_of(const TokenPair& pair) { return pair.access_token.claims.session_id; }

  std::filesystem::path directory_;
  SqliteRepository repository_;  // a connection of its own, for what the test sets up and inspects
  StorageEngine storage_;        // what the service runs on
  Config config_;
  ManualClock clock_{from_unix_ms(1'800'000'000'000)};
  AccessTokens tokens_;
  MetricsRegistry metrics_;
  SessionMetrics session_metrics_;
  SessionService service_;
};

TEST_F(SessionServiceTest, RotationChainGivesNewTokensOfTheSameSessionAndTheUsersClaims) {
  const Login first = login("+77472367503");
  auto r1 = refresh(first.refresh_token);
  ASSERT_TRUE(r1);
  EXPECT_NE(r1->refresh_token, first.refresh_token);
  EXPECT_EQ(session_of(*r1), first.session_id);
  EXPECT_EQ(r1->access_token.claims.subject, first.user_id);
  EXPECT_EQ(r1->access_token.claims.phone_number, "+77472367503");
  EXPECT_EQ(r1->refresh_token.size(), 43u);

  clock_.advance(minutes(30));
  auto r2 = refresh(r1->refresh_token);
  ASSERT_TRUE(r2);
  EXPECT_EQ(session_of(*r2), first.session_id);
  EXPECT_TRUE(run_to_completion(service_.authenticate(r2->access_token.token, "127.0.0.1")));
}

TEST_F(SessionServiceTest, ReplayOfARotatedTokenAfterTheGraceEndsTheWholeFamily) {
  const Login first = login("+77472367503");
  const std::string r1 = refreshed(first.refresh_token);
  clock_.advance(seconds(11));
  auto r2 = refresh(r1);
  ASSERT_TRUE(r2);

  expect_refused(first.refresh_token);  // reuse detected
  expect_refused(r2->refresh_token);    // the newest token died with its family
  const auto access = run_to_completion(service_.authenticate(r2->access_token.token, "127.0.0.1"));
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().code, errc::invalid_token);
  EXPECT_EQ(repository_.find_session(first.session_id)->revoked_reason, "reuse_detected");
}

TEST_F(SessionServiceTest, ReplayWithinTheGraceGivesASiblingAndBothBranchesKeepWorking) {
  const Login first = login("+77472367503");
  const std::string r1 = refreshed(first.refresh_token);
  clock_.advance(seconds(5));
  auto sibling = refresh(first.refresh_token);  // the other tab, or a lost response retried
  ASSERT_TRUE(sibling);
  EXPECT_EQ(session_of(*sibling), first.session_id);
  EXPECT_NE(sibling->refresh_token, r1);
  EXPECT_FALSE(refreshed(r1).empty());
  EXPECT_FALSE(refreshed(sibling->refresh_token).empty());
}

TEST_F(SessionServiceTest, TheGraceRunsFromTheFirstRotationAndSiblingsDoNotExtendIt) {
  const Login first = login("+77472367503");
  const std::string r1 = refreshed(first.refresh_token);
  clock_.advance(seconds(8));
  EXPECT_TRUE(refresh(first.refresh_token));
  clock_.advance(seconds(3));  // 11 s after the rotation
  expect_refused(first.refresh_token);
  expect_refused(r1);
}

TEST_F(SessionServiceTest, WithoutAGraceAnyReplayEndsTheFamily) {
  config_.sessions.refresh_reuse_grace = seconds(0);
  const Login first = login("+77472367503");
  const std::string r1 = refreshed(first.refresh_token);
  expect_refused(first.refresh_token);
  expect_refused(r1);
}

TEST_F(SessionServiceTest, IdleLifetimeIsEnforcedAndRenewedByEachRotation) {
  config_.sessions.refresh_token_idle = seconds(60);
  std::string token = login("+77472367503").refresh_token;
  for (int i = 0; i < 4; ++i) {  // 4 × 50 s: longer than the idle lifetime in total, never idle for 60 s
    clock_.advance(seconds(50));
    token = refreshed(token);
  }
  clock_.advance(seconds(60));
  expect_refused(token);
}

TEST_F(SessionServiceTest, AbsoluteLifetimeEndsTheFamilyHoweverActiveItIs) {
  config_.sessions.refresh_token_ttl = seconds(100);
  config_.sessions.refresh_token_idle = seconds(60);
  std::string token = login("+77472367503").refresh_token;
  clock_.advance(seconds(50));
  token = refreshed(token);
  clock_.advance(seconds(49));  // 99 s
  token = refreshed(token);
  clock_.advance(seconds(2));  // 101 s
  expect_refused(token);
}

TEST_F(SessionServiceTest, LogoutEndsThisSessionOnlyAndLogoutAllEndsEveryOne) {
  const Login a = login("+77472367503");
  const Login b = login("+77472367503");
  const Login other_user = login("+77012345678");
  auto pair_a = refresh(a.refresh_token);
  ASSERT_TRUE(pair_a);
  auto caller = run_to_completion(service_.authenticate(pair_a->access_token.token, "127.0.0.1"));
  ASSERT_TRUE(caller);
  EXPECT_EQ(run_to_completion(service_.logout(*caller, false, "127.0.0.1")), 1);
  expect_refused(pair_a->refresh_token);
  EXPECT_FALSE(run_to_completion(service_.authenticate(pair_a->access_token.token, "127.0.0.1")));

  auto pair_b = refresh(b.refresh_token);
  ASSERT_TRUE(pair_b);
  const Login c = login("+77472367503");
  auto caller_b = run_to_completion(service_.authenticate(pair_b->access_token.token, "127.0.0.1"));
  ASSERT_TRUE(caller_b);
  EXPECT_EQ(run_to_completion(service_.logout(*caller_b, true, "127.0.0.1")), 2);  // b and c
  expect_refused(pair_b->refresh_token);
  expect_refused(c.refresh_token);
  EXPECT_FALSE(refreshed(other_user.refresh_token).empty());
}

TEST_F(SessionServiceTest, BlockingEndsSessionsAndABlockedUserCannotRefreshOrLogIn) {
  const Login first = login("+77472367503");
  auto pair = refresh(first.refresh_token);
  ASSERT_TRUE(pair);
  const auto blocked = repository_.set_user_blocked(first.user_id, true, clock_.now());
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(blocked->changed);
  EXPECT_EQ(blocked->sessions_revoked, 1);
  expect_refused(pair->refresh_token);
  EXPECT_FALSE(run_to_completion(service_.authenticate(pair->access_token.token, "127.0.0.1")));

  IssueCodeRequest issue;
  issue.phone_number = "+77472367503";
  issue.now = clock_.now();
  issue.new_seed = Bytes(16, 1);
  issue.new_code_hash = Bytes(32, 2);
  issue.new_expires_at = clock_.now() + minutes(5);
  issue.reservation_id = random_uuid();
  ASSERT_TRUE(repository_.issue_code(issue));
  VerifyCodeRequest verify;
  verify.phone_number = "+77472367503";
  verify.now = clock_.now();
  verify.submitted_code_hash = Bytes(32, 2);  // the hash the code was issued with
  verify.session = NewSession{random_uuid(), random_uuid(), Bytes(32, 3), clock_.now() + hours(1),
                              clock_.now() + hours(1)};
  EXPECT_EQ(repository_.verify_code(verify).status, VerifyStatus::user_blocked);

  EXPECT_TRUE(repository_.set_user_blocked(first.user_id, false, clock_.now())->changed);
  expect_refused(pair->refresh_token);  // unblocking does not revive ended sessions
}

TEST_F(SessionServiceTest, UnknownEmptyAndOversizedTokensAreInvalidGrants) {
  login("+77472367503");
  expect_refused(new_refresh_token());
  expect_refused("");
  expect_refused(std::string(10000, 'a'));
}

TEST_F(SessionServiceTest, AnAccessTokenNamingSomeoneElsesSessionIsRefused) {
  const Login victim = login("+77472367503");
  const Login attacker = login("+77012345678");
  // Only we can sign, so this cannot come from outside; the check still keeps sub and sid consistent.
  const auto mixed = tokens_.issue(attacker.user_id, victim.session_id, "+77012345678", clock_.now());
  EXPECT_FALSE(run_to_completion(service_.authenticate(mixed.token, "127.0.0.1")));
}

TEST_F(SessionServiceTest, MeReturnsTheAccount) {
  const Login first = login("+77472367503");
  auto pair = refresh(first.refresh_token);
  ASSERT_TRUE(pair);
  auto caller = run_to_completion(service_.authenticate(pair->access_token.token, "127.0.0.1"));
  ASSERT_TRUE(caller);
  const auto me = run_to_completion(service_.me(*caller));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->id, first.user_id);
  EXPECT_EQ(me->phone_number, "+77472367503");
  EXPECT_EQ(me->last_login_at, clock_.now());
}

// Runs `count` refreshes of one token at once (all awaiting the storage engine together, resumed on 4 I/O threads)
// and returns their outcomes.
std::vector<result<TokenPair>> refresh_concurrently(SessionService& service, const std::string& token, int count) {
  std::vector<std::optional<result<TokenPair>>> outcomes(static_cast<std::size_t>(count));
  // Create spdlog's registry before the threads log, as `serve` does with init_logging: its lazy creation inside the
  // uninstrumented libspdlog looks like a data race to ThreadSanitizer.
  spdlog::default_logger();
  boost::asio::io_context io;
  for (int i = 0; i < count; ++i) {
    boost::asio::co_spawn(io, detail::as_optional(service.refresh(RefreshCommand{token, "t"})),
                          [&outcomes, i](std::exception_ptr, std::optional<result<TokenPair>> outcome) {
                            outcomes[static_cast<std::size_t>(i)] = std::move(outcome);  // empty if it threw
                          });
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&io] { io.run(); });
  for (auto& thread : threads) thread.join();
  std::vector<result<TokenPair>> out;
  for (auto& outcome : outcomes) out.push_back(std::move(outcome.value()));  // throws if a refresh threw
  return out;
}

TEST_F(SessionServiceTest, ConcurrentRefreshesOfOneTokenWithinTheGraceGiveOneSiblingAtMostThenEndTheFamily) {
  const Login first = login("+77472367503");
  const auto outcomes = refresh_concurrently(service_, first.refresh_token, 8);
  int successes = 0;
  for (const auto& outcome : outcomes) {
    if (!outcome) continue;
    ++successes;
    EXPECT_EQ(outcome->access_token.claims.session_id, first.session_id);
    expect_refused(outcome->refresh_token);  // eight presentations of one token ended its family
  }
  EXPECT_GE(successes, 1);
  EXPECT_LE(successes, 2);  // the rotation and one sibling: never a chain per replay
  EXPECT_EQ(repository_.list_sessions(SessionListQuery{first.user_id, std::nullopt, 100}).size(), 1u);
}

TEST_F(SessionServiceTest, ConcurrentRefreshesOfOneTokenWithoutAGraceLeaveNoLiveBranch) {
  config_.sessions.refresh_reuse_grace = seconds(0);
  const Login first = login("+77472367503");
  const auto outcomes = refresh_concurrently(service_, first.refresh_token, 8);
  int successes = 0;
  for (const auto& outcome : outcomes) {
    if (!outcome) continue;
    ++successes;
    expect_refused(outcome->refresh_token);  // the replays ended the family the winner belongs to
  }
  EXPECT_EQ(successes, 1);
}

}  // namespace
}  // namespace sms_auth
