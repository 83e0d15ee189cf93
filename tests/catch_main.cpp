// Catch2's main, with SIGPIPE ignored as the bot's main ignores it (bot/main.cpp): the code under
// test writes to sockets through OpenSSL, and a peer that hangs up must give EPIPE, not end the run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
