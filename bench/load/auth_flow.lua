-- wrk script for the load test: `-- send THREADS OFFSET` posts send-code; `-- login THREADS OFFSET` alternates
-- send-code and verify-code (the fixed test code) and must run with one connection per thread (-c N -t N), so that
-- each connection's verify follows its own send. Every request of a run uses a distinct valid Kazakh mobile number and a
-- distinct client address (X-Forwarded-For; the server trusts 127.0.0.1 as its proxy), so per-number, per-prefix
-- and per-address limits see many users instead of one client hammering one number. Ends with one "RESULT" line.
-- A fourth argument picks the API: "sms-auth" (the default: sms-auth and the seed) or "better-auth" (its
-- phone-number plugin: /api/auth/phone-number/send-otp and /verify, camelCase fields). With "better-auth" the script
-- also reads every response: it counts each non-2xx (wrk itself counts only >= 400) and each 200 verify without a
-- session token, and ends with a "CHECK non_2xx verify_200_without_token verify_200_with_token" line too.
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
local send_path, verify_path, send_body, verify_body
-- Globals of each thread's own Lua state, so that done() (in wrk's main state) can read them with thread:get().
api = "sms-auth"
non_2xx, verify_without_token, verify_with_token = 0, 0, 0
local checked_response  -- defined below, after step

function init(args)
  mode = args[1] or "send"
  thread_count = tonumber(args[2] or "1")
  offset = tonumber(args[3] or "0")
  api = args[4] or "sms-auth"
  if api == "better-auth" then
    send_path, verify_path = "/api/auth/phone-number/send-otp", "/api/auth/phone-number/verify"
    send_body = function(number) return '{"phoneNumber": "' .. number .. '"}' end
    verify_body = function(number) return '{"phoneNumber": "' .. number .. '", "code": "123456"}' end
    -- Defined only here: wrk reads the response bodies (and calls this) only for a script that has response().
    response = checked_response
  else
    send_path, verify_path = "/api/v1/sms-auth/send-code", "/api/v1/sms-auth/verify-code"
    send_body = function(number) return '{"phone_number": "' .. number .. '"}' end
    verify_body = function(number) return '{"phone_number": "' .. number .. '", "code": "123456"}' end
  end
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

-- better-auth only (init() installs it as wrk's response()). With one connection per thread in the login scenario,
-- a response arrives before the next request is made, so an even step means it answers a verify.
checked_response = function(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  elseif mode == "login" and step % 2 == 0 then
    if body and body:find('"token":"', 1, true) then
      verify_with_token = verify_with_token + 1
    else
      verify_without_token = verify_without_token + 1
    end
  end
end

request = function()
  if id == 0 and not checked then
    checked = true
    return wrk.format("POST", send_path, {["Content-Type"] = "application/json"}, "{}")
  end
  if mode == "send" or step % 2 == 0 then
    number, address = next_user()
    step = step + 1
    return wrk.format("POST", send_path, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                      send_body(number))
  end
  step = step + 1
  return wrk.format("POST", verify_path, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                    verify_body(number))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.0f %.0f\n", summary.requests, summary.duration, e.status,
                         e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
  if threads[1] and threads[1]:get("api") == "better-auth" then
    local totals = {0, 0, 0}
    for _, thread in ipairs(threads) do
      totals[1] = totals[1] + (thread:get("non_2xx") or 0)
      totals[2] = totals[2] + (thread:get("verify_without_token") or 0)
      totals[3] = totals[3] + (thread:get("verify_with_token") or 0)
    end
    io.write(string.format("CHECK %d %d %d\n", totals[1], totals[2], totals[3]))
  end
end
