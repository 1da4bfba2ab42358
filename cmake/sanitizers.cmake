# SMS_AUTH_SANITIZE=address,undefined | thread: applied to every target (the debug and tsan presets set it).
set(SMS_AUTH_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined or thread")
if(SMS_AUTH_SANITIZE)
  add_compile_options(-fsanitize=${SMS_AUTH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${SMS_AUTH_SANITIZE})
endif()
