-- wrk script: POST send-code, each request to a different Kazakh mobile number (so no per-number limit binds).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

request = function()
  counter = counter + 1
  local number = string.format("+7747%d%06d", thread_id, counter % 1000000)
  return wrk.format("POST", "/api/v1/sms-auth/send-code", {["Content-Type"] = "application/json"},
                    '{"phone_number": "' .. number .. '"}')
end
