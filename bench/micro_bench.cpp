// Per-request CPU costs of the login flow: phone parsing, code derivation and hashing, JWT, JSON bodies.
#include <benchmark/benchmark.h>

#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/phone_number.hpp"
#include "http/json_body.hpp"

namespace sms_auth {
namespace {

void BM_PhoneParse(benchmark::State& state) {
  const PhoneNumberParser parser("KZ", {"KZ"});
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse("8 (747) 236-75-03"));
}
BENCHMARK(BM_PhoneParse);

void BM_CodeForSeed(benchmark::State& state) {
  const OtpCodec codec(Bytes(32, 1));
  const Bytes seed = OtpCodec::new_seed();
  for (auto _ : state) benchmark::DoNotOptimize(codec.code_for_seed(seed));
}
BENCHMARK(BM_CodeForSeed);

void BM_CodeMatches(benchmark::State& state) {
  const OtpCodec codec(Bytes(32, 1));
  const Bytes stored = codec.hash("+77472367503", "598000");
  for (auto _ : state) benchmark::DoNotOptimize(codec.matches("+77472367503", "598000", stored));
}
BENCHMARK(BM_CodeMatches);

AccessTokens make_tokens() {
  return AccessTokens({std::make_shared<Hs256Key>(Bytes(32, 7))}, "sms-auth", "memoir", std::chrono::seconds(1800));
}

void BM_JwtIssue(benchmark::State& state) {
  const auto tokens = make_tokens();
  const TimePoint now = SystemTimeSource{}.now();
  for (auto _ : state) benchmark::DoNotOptimize(tokens.issue("0be21070-22b6-4040-b9bd-6054a092178d", "s", "+77472367503", now));
}
BENCHMARK(BM_JwtIssue);

void BM_JwtVerify(benchmark::State& state) {
  const auto tokens = make_tokens();
  const TimePoint now = SystemTimeSource{}.now();
  const std::string token = tokens.issue("0be21070-22b6-4040-b9bd-6054a092178d", "s", "+77472367503", now).token;
  for (auto _ : state) benchmark::DoNotOptimize(tokens.verify(token, now));
}
BENCHMARK(BM_JwtVerify);

void BM_JsonBody(benchmark::State& state) {
  HttpRequest request;
  request.headers = {{"content-type", "application/json"}};
  request.body = R"({"phone_number": "77472367503", "code": "598000"})";
  for (auto _ : state) benchmark::DoNotOptimize(parse_json_object(request));
}
BENCHMARK(BM_JsonBody);

}  // namespace
}  // namespace sms_auth
