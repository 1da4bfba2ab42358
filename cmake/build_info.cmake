# The version (CMake's project version) and the git commit of the build, as a generated source of `target`. The
# commit is read when CMake configures ("unknown" outside a git checkout), so a rebuild after a new commit without a
# reconfigure keeps the old one.
function(sms_auth_build_info target)
  execute_process(
    COMMAND git rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE SMS_AUTH_GIT_COMMIT
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE git_result)
  if(NOT git_result EQUAL 0 OR SMS_AUTH_GIT_COMMIT STREQUAL "")
    set(SMS_AUTH_GIT_COMMIT "unknown")
  endif()
  set(SMS_AUTH_VERSION ${PROJECT_VERSION})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/build_info.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/generated/build_info.cpp
                 @ONLY)
  target_sources(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated/build_info.cpp)
endfunction()
