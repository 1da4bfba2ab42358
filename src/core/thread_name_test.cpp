// name_this_thread: the name the kernel reports for the thread, cut to its 15-character limit.
#include "core/thread_name.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>

namespace sms_auth {
namespace {

std::string name_of_this_thread() {
  std::array<char, 16> name{};
  pthread_getname_np(pthread_self(), name.data(), name.size());
  return name.data();
}

TEST(NameThisThread, TheKernelReportsTheNameAndALongOneIsCutToFifteenCharacters) {
  std::string short_name, long_name;
  std::thread([&] {
    name_this_thread("db:sqlite");
    short_name = name_of_this_thread();
    name_this_thread("db:a-storage-engine-name-too-long");
    long_name = name_of_this_thread();
  }).join();
  EXPECT_EQ(short_name, "db:sqlite");
  EXPECT_EQ(long_name, "db:a-storage-en");
}

}  // namespace
}  // namespace sms_auth
