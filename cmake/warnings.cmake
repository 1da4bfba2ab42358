# Project-wide warning flags: on, strict, and clean (new warnings are fixed, not silenced).
add_library(sms_auth_warnings INTERFACE)
target_compile_options(sms_auth_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
