"""Summary of bench/load/run.sh: the median of each figure over the runs, and its ratio to the do-nothing server's."""
import statistics
import sys
from collections import defaultdict

SERVER_NAMES = {"null": "do-nothing server", "sms-auth": "sms-auth", "sms-auth-pg": "sms-auth (PostgreSQL)",
                "seed": "seed (FastAPI)", "better-auth": "better-auth (Node, PostgreSQL)"}
CEILING = "null"


def read_results(path):
    """(server, scenario) → figure → one value per run; and the servers in the order they ran."""
    figures = defaultdict(lambda: defaultdict(list))
    servers = []
    with open(path) as results:
        for line in results:
            _run, server, scenario, *values = line.rstrip("\n").split("\t")
            if server not in servers:
                servers.append(server)
            f = figures[(server, scenario)]
            if scenario == "server":
                f["rss_mib"].append(int(values[0]) / 1024)
                f["startup_ms"].append(int(values[1]))
                continue
            requests, duration_us, status_errors, socket_errors, p50_us, p99_us = map(float, values)
            seconds = duration_us / 1e6
            f["throughput"].append(requests / seconds)
            if scenario == "login":  # two requests a login; a refused send or verify is no login
                f["throughput"][-1] = (requests - status_errors) / 2 / seconds
            f["failed"].append(status_errors + socket_errors)
            f["p50"].append(p50_us / 1000)
            f["p99"].append(p99_us / 1000)
    return figures, servers


def main(path):
    figures, servers = read_results(path)

    def median(server, scenario, figure):
        values = figures[(server, scenario)].get(figure)
        return statistics.median(values) if values else None

    def ratio(server, scenario, figure, percent):
        value, base = median(server, scenario, figure), median(CEILING, scenario, figure)
        if value is None or not base:
            return "-"
        return f"{value / base:.1%}" if percent else f"{value / base:.1f}x"

    print()
    print("| server | scenario | throughput | of ceiling | p50 | p99 | p99 vs ceiling | non-2xx + errors |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario, unit in (("send", "req/s"), ("login", "logins/s")):
        for server in servers:
            rate = median(server, scenario, "throughput")
            if rate is None:
                continue
            print(f"| {SERVER_NAMES.get(server, server)} | {scenario} | {rate:,.0f} {unit} | "
                  f"{ratio(server, scenario, 'throughput', True)} | {median(server, scenario, 'p50'):.2f} ms | "
                  f"{median(server, scenario, 'p99'):.2f} ms | {ratio(server, scenario, 'p99', False)} | "
                  f"{median(server, scenario, 'failed'):,.0f} |")
    print()
    print("| server | resident memory after the run | vs ceiling | start-up to first answer | vs ceiling |")
    print("|---|---|---|---|---|")
    for server in servers:
        print(f"| {SERVER_NAMES.get(server, server)} | {median(server, 'server', 'rss_mib'):.1f} MiB | "
              f"{ratio(server, 'server', 'rss_mib', False)} | {median(server, 'server', 'startup_ms'):.0f} ms | "
              f"{ratio(server, 'server', 'startup_ms', False)} |")


if __name__ == "__main__":
    main(sys.argv[1])
