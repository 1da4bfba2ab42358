-- wrk script: whole logins, two requests each (send-code, then verify-code with the fixed test code), on random
-- numbers from random client addresses. Run with one connection per thread (-c N -t N): a thread's requests go out
-- in order, so each verify follows its own send.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

local step = 0
local number, address

request = function()
  step = step + 1
  if step % 2 == 1 then
    number = string.format("+7701%07d", math.random(0, 9999999))
    address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    return wrk.format("POST", "/api/v1/sms-auth/send-code",
                      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                      '{"phone_number": "' .. number .. '"}')
  end
  return wrk.format("POST", "/api/v1/sms-auth/verify-code",
                    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address},
                    '{"phone_number": "' .. number .. '", "code": "123456"}')
end
