// PeriodicTask: rounds come until stop(), a round that throws does not end the loop, and the first round waits a
// period unless the schedule says it runs at start.
#include "app/periodic_task.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sms_auth {
namespace {

struct Rounds {
  int count = 0;
  int throw_first = 0;  // rounds that fail before the others succeed
  int stop_after = 3;
  PeriodicTask* task = nullptr;
};

awaitable<void> one_round(Rounds* rounds) {
  ++rounds->count;
  if (rounds->count >= rounds->stop_after) rounds->task->stop();
  if (rounds->count <= rounds->throw_first) throw std::runtime_error("scripted: the database is down");
  co_return;
}

TEST(PeriodicTaskTest, RoundsThatThrowAreLoggedAndTheNextRoundStillComes) {
  spdlog::default_logger();
  boost::asio::io_context io;
  Rounds rounds;
  rounds.throw_first = 2;
  PeriodicTask task(io, "test.task", PeriodicSchedule{std::chrono::milliseconds(1), false},
                    [&rounds] { return one_round(&rounds); });
  rounds.task = &task;
  task.start();
  io.run();  // returns once the loop has ended: stop() in the third round
  EXPECT_EQ(rounds.count, 3);
}

TEST(PeriodicTaskTest, StoppedBeforeItsFirstPeriodItRunsNoRound) {
  boost::asio::io_context io;
  Rounds rounds;
  PeriodicTask task(io, "test.task", PeriodicSchedule{std::chrono::hours(1), false},
                    [&rounds] { return one_round(&rounds); });
  rounds.task = &task;
  task.start();
  task.stop();
  io.run();
  EXPECT_EQ(rounds.count, 0);
}

TEST(PeriodicTaskTest, AFirstRoundAtStartRunsBeforeAnyWait) {
  boost::asio::io_context io;
  Rounds rounds;
  rounds.stop_after = 1;
  PeriodicTask task(io, "test.task", PeriodicSchedule{std::chrono::hours(1), true},
                    [&rounds] { return one_round(&rounds); });
  rounds.task = &task;
  task.start();
  io.run();  // an hour's period: returning at all shows the round came first and stop() ended the wait
  EXPECT_EQ(rounds.count, 1);
}

}  // namespace
}  // namespace sms_auth
