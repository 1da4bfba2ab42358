-- wrk script: POST send-code to random Kazakh mobile numbers from random client addresses (X-Forwarded-For, with
-- the server trusting 127.0.0.1 as its proxy), so that per-number, per-prefix and per-address limits see realistic
-- traffic instead of one client hammering one number.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Each wrk thread needs its own random sequence: with one seed they would send to the same numbers.
function init(args)
  math.randomseed(os.time() * 1000 + id)
end

local function random_address()
  return string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
end

request = function()
  local number = string.format("+7747%07d", math.random(0, 9999999))
  return wrk.format("POST", "/api/v1/sms-auth/send-code",
                    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = random_address()},
                    '{"phone_number": "' .. number .. '"}')
end
