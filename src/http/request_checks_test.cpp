// Request-header checks: obs-fold, Transfer-Encoding other than chunked, Host, and joined field lines.
#include "http/request_checks.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(JoinFieldLines, JoinsEveryLineInOrderWithCommas) {
  EXPECT_EQ(join_field_lines({"1.2.3.4", " 198.51.100.9 , 10.0.0.1"}), "1.2.3.4, 198.51.100.9 , 10.0.0.1");
  EXPECT_EQ(join_field_lines({"", "10.0.0.1"}), "10.0.0.1");
  EXPECT_EQ(join_field_lines({}), "");
}

TEST(HeaderBlockEnd, FindsTheEmptyLineAfterLeadingEmptyLines) {
  EXPECT_EQ(header_block_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(header_block_end("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 22u);
  EXPECT_FALSE(header_block_end("GET / HTTP/1.1\r\nHost: a\r\n"));
  EXPECT_EQ(header_block_end("GET / HTTP/1.1\nHost: a\n\n"), 24u);
}

TEST(HasObsFold, AnyLineStartingWithWhitespaceIsAFold) {
  EXPECT_FALSE(has_obs_fold("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("POST / HTTP/1.1\r\nX-A: b\r\n\tc\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("POST / HTTP/1.1\r\n Host: a\r\n\r\n"));
  EXPECT_FALSE(has_obs_fold("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
}

TEST(HeaderProblem, OnlyAPlainChunkedTransferEncodingIsAccepted) {
  EXPECT_FALSE(header_problem(11, "chunked", true, 1));
  EXPECT_FALSE(header_problem(11, " Chunked ", true, 1));
  EXPECT_FALSE(header_problem(11, "", false, 1));
  EXPECT_TRUE(header_problem(11, "xchunked", true, 1));
  EXPECT_TRUE(header_problem(11, "gzip", true, 1));
  EXPECT_TRUE(header_problem(11, "chunked, gzip", true, 1));
  EXPECT_TRUE(header_problem(11, "gzip, chunked", true, 1));
  EXPECT_TRUE(header_problem(11, "chunked, chunked", true, 1));
  EXPECT_TRUE(header_problem(11, "", true, 1));
  EXPECT_TRUE(header_problem(10, "chunked", true, 1));
}

TEST(HeaderProblem, Http11NeedsExactlyOneHost) {
  EXPECT_TRUE(header_problem(11, "", false, 0));
  EXPECT_TRUE(header_problem(11, "", false, 2));
  EXPECT_FALSE(header_problem(10, "", false, 0));
  EXPECT_FALSE(header_problem(11, "", false, 1));
}

}  // namespace
}  // namespace sms_auth
