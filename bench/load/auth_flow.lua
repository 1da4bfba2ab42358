-- wrk script for the load test: `-- send THREADS OFFSET` posts send-code; `-- login THREADS OFFSET` alternates
-- send-code and verify-code (the fixed test code) and must run with one connection per thread (-c N -t N), so that
-- each connection's verify follows its own send. Every request of a run uses a distinct valid Kazakh mobile number and a
-- distinct client address (X-Forwarded-For; the server trusts 127.0.0.1 as its proxy), so per-number, per-prefix
-- and per-address limits see many users instead of one client hammering one number. Ends with one "RESULT" line.
local operator_codes = {"700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"}
local number_space = #operator_codes * 10000000
-- A multiplier coprime with number_space makes (index * k + offset) mod number_space a permutation: distinct
-- indexes give distinct numbers, spread over every operator code and prefix instead of counting up one range.
local scramble = 48271

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local mode, thread_count, offset
local counter = 0

function init(args)
  mode = args[1] or "send"
  thread_count = tonumber(args[2] or "1")
  offset = tonumber(args[3] or "0")
end

local function next_user()
  local index = counter * thread_count + id
  counter = counter + 1
  local n = (index * scramble + offset) % number_space
  local code = operator_codes[math.floor(n / 10000000) + 1]
  local number = string.format("+7%s%07d", code, n % 10000000)
  local a = index + 1
  local address = string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
  return number, address
end

local step = 0
local number, address
-- wrk calls request() once on the first thread before the run, to check that the request parses, and never sends
-- what it returns. Without this, that thread's step was off by one: its first request was a verify with no code.
local checked = false

request = function()
  if id == 0 and not checked then
    checked = true
    return wrk.format("POST", "/api/v1/sms-auth/send-code", {["Content-Type"] = "application/json"}, "{}")
  end
  if mode == "send" or step % 2 == 0 then
    number, address = next_user()
    step = step + 1
    return wrk.format("POST", "/api/v1/sms-auth/send-code",
                      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                      '{"phone_number": "' .. number .. '"}')
  end
  step = step + 1
  return wrk.format("POST", "/api/v1/sms-auth/verify-code",
                    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                    '{"phone_number": "' .. number .. '", "code": "123456"}')
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f\n", summary.requests, summary.duration, e.status,
                         e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
