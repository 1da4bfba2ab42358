// Per-request CPU costs of the login flow: phone parsing, code derivation and hashing, JWT, JSON bodies.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/phone_number.hpp"
#include "core/crypto.hpp"
#include "http/json_body.hpp"

namespace sms_auth {
namespace {

// libphonenumber itself: what every parse cost before the cache, and what a first sight of a number costs now.
void BM_PhoneParseUncached(benchmark::State& state) {
  const PhoneNumberParser parser("KZ", {"KZ"}, 0);
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse("8 (747) 236-75-03"));
}
BENCHMARK(BM_PhoneParseUncached);

// A number seen moments ago (verify after send): a cache hit. Threads(2): both I/O threads on one parser.
void BM_PhoneParseCached(benchmark::State& state) {
  static const PhoneNumberParser parser("KZ", {"KZ"});
  for (auto _ : state) benchmark::DoNotOptimize(parser.parse("8 (747) 236-75-03"));
}
BENCHMARK(BM_PhoneParseCached)->Threads(1)->Threads(2);

// A new number every time on a full cache: the parse, plus an insert and an eviction.
void BM_PhoneParseMissOnFullCache(benchmark::State& state) {
  const PhoneNumberParser parser("KZ", {"KZ"}, 1024);
  int subscriber = 0;
  char input[24];
  for (auto _ : state) {
    std::snprintf(input, sizeof input, "+7747%07d", 1000000 + subscriber++ % 8000000);
    benchmark::DoNotOptimize(parser.parse(input));
  }
}
BENCHMARK(BM_PhoneParseMissOnFullCache);

// Per-thread contexts: no digest fetched by name per call. Threads(2) shows whether the threads contend.
void BM_HmacSha256(benchmark::State& state) {
  const Bytes key(32, 3);
  for (auto _ : state) benchmark::DoNotOptimize(hmac_sha256(key, "+77472367503:598000"));
}
BENCHMARK(BM_HmacSha256)->Threads(1)->Threads(2);

void BM_Sha256RefreshToken(benchmark::State& state) {
  const std::string token(43, 'r');
  for (auto _ : state) benchmark::DoNotOptimize(sha256(token));
}
BENCHMARK(BM_Sha256RefreshToken)->Threads(1)->Threads(2);

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
