// The baseline of ingest_bench: a bare cpp-httplib server that answers every POST with 202 and
// does nothing else. Keep-alive is unlimited, TCP_NODELAY is on and there are enough threads for
// every connection the bench opens, so the baseline is as fast as this server can be.
//
//   bare_http_server <port>
#include <cstdio>
#include <cstdlib>

#include <httplib.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bare_http_server <port>\n");
    return 2;
  }
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_max_count(1 << 30);
  server.set_tcp_nodelay(true);
  server.Post(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 202;
    res.set_content(R"({"status":"accepted"})", "application/json");
  });
  return server.listen("127.0.0.1", std::atoi(argv[1])) ? 0 : 1;
}
