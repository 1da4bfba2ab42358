// The server's background work as periodic tasks: pruning, the conversion watch, and with a gateway the SMS balance
// check and delivery-status polling.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "app/application.hpp"
#include "app/periodic_task.hpp"

namespace sms_auth {

// Built, not started: `serve` starts them once it listens and stops them on SIGTERM.
std::vector<std::unique_ptr<PeriodicTask>> background_tasks(boost::asio::io_context& io, Application& application);

}  // namespace sms_auth
