-- wrk script: a whole login per two requests (send-code, then verify-code with the fixed test code) on distinct numbers.
-- Each wrk connection runs its own sequence, so a verify always follows its send on the same connection.
local thread_id = 0
local threads = {}
local step = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

request = function()
  step = step + 1
  local n = math.floor((step + 1) / 2)
  local number = string.format("+7701%d%06d", thread_id, n % 1000000)
  if step % 2 == 1 then
    return wrk.format("POST", "/api/v1/sms-auth/send-code", {["Content-Type"] = "application/json"},
                      '{"phone_number": "' .. number .. '"}')
  end
  return wrk.format("POST", "/api/v1/sms-auth/verify-code", {["Content-Type"] = "application/json"},
                    '{"phone_number": "' .. number .. '", "code": "123456"}')
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
