// Names the calling thread, so that top -H, perf and /proc/<pid>/task/*/comm tell the threads of the process apart.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace sms_auth {

// At most 15 characters (the kernel's limit; a longer name is cut). Never for the main thread: its name is the
// process's name in ps, pgrep and systemd.
inline void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace sms_auth
