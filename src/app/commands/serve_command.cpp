// `serve`: build the application, migrate, listen, run WORKER_THREADS threads, stop gracefully on SIGTERM/SIGINT.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <condition_variable>
#include <iostream>
#include <thread>
#include <vector>

#include "app/application.hpp"
#include "app/background_tasks.hpp"
#include "app/cli.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"
#include "http/server.hpp"

namespace sms_auth {
namespace {

namespace asio = boost::asio;

constexpr auto kShutdownGrace = std::chrono::seconds(20);

int serve() {
  const auto config = load_config_or_report();
  if (!config) return kExitUsage;
  init_logging({config->log_level, config->log_json});

  asio::io_context io(config->worker_threads);
  Application application(*config, io);
  // Before the I/O threads run: the main thread may wait on the database here.
  application.storage().run_blocking([](Repository& connection) { connection.migrate(); });

  ServerOptions server_options{config->host, config->port};
  server_options.max_connections = config->max_connections > 0
                                       ? config->max_connections
                                       : connections_for_descriptor_limit(descriptor_limit());
  server_options.max_connections_per_client = config->max_connections_per_client;
  HttpServer server(io, server_options, application.router(), application.client_addresses());
  server.start();
  // METRICS_LISTEN: /metrics on a listener of its own (no connection caps worth tuning: scrapers only).
  std::optional<HttpServer> metrics_server;
  if (const Router* metrics_router = application.metrics_router()) {
    ServerOptions metrics_options{config->metrics_host, config->metrics_port};
    metrics_options.max_connections = 64;
    metrics_options.max_connections_per_client = 0;
    metrics_server.emplace(io, metrics_options, *metrics_router, application.client_addresses());
    metrics_server->start();
    spdlog::info("sms-auth metrics on http://{}:{}/metrics", config->metrics_host, metrics_server->port());
  }
  spdlog::info("sms-auth listening on http://{}:{} ({} threads, at most {} connections, database {}, {})",
               config->host, server.port(), config->worker_threads, server_options.max_connections, config->database_url.substr(0, config->database_url.find(':')),
               config->sms_test_mode ? "SMS TEST MODE: codes are written to this log, nothing is sent"
                                     : "sending through Mobizon");

  const auto tasks = background_tasks(io, application);
  for (const auto& task : tasks) task->start();

  // Graceful stop: no new connections, idle ones closed, requests in flight answered; a watchdog ends it all if
  // something hangs past the grace period.
  std::mutex stop_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::thread watchdog;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    spdlog::info("received signal {}, stopping: finishing requests in flight", signal_number);
    server.stop();
    if (metrics_server) metrics_server->stop();
    for (const auto& task : tasks) task->stop();
    watchdog = std::thread([&] {
      std::unique_lock lock(stop_mutex);
      if (!stopped_cv.wait_for(lock, kShutdownGrace, [&] { return stopped; })) {
        spdlog::warn("requests still running after {}s; stopping anyway", kShutdownGrace.count());
        io.stop();
      }
    });
  });

  std::vector<std::thread> workers;
  for (int i = 1; i < config->worker_threads; ++i) {
    workers.emplace_back([&io] {
      name_this_thread("http-io");
      io.run();
    });
  }
  io.run();
  for (auto& worker : workers) worker.join();
  {
    std::lock_guard lock(stop_mutex);
    stopped = true;
  }
  stopped_cv.notify_all();
  if (watchdog.joinable()) watchdog.join();
  spdlog::info("sms-auth stopped");
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("serve", "Run the HTTP server (HOST, PORT, WORKER_THREADS, DATABASE_URL, …)");
  command->callback([&exit_code] { exit_code = run_command("serve", serve); });
}

}  // namespace sms_auth
