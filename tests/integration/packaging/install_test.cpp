// Issue: what `cmake --install` gives an operator: the binary, its man pages, an example
// configuration and a hardened systemd unit, checked with the tools that will read them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/integration/support/process.hpp"

using namespace chatops::test;

namespace {

// The build installed under a fresh prefix; the tests below read what it put there.
struct Installed {
  TempDir dir{"chatops-install"};
  std::filesystem::path prefix = dir / "prefix";

  Installed() {
    auto install = run_to_end({.argv = {CHATOPS_CMAKE, "--install", CHATOPS_BUILD_DIR, "--prefix", prefix.string()},
                               .log_dir = dir.path(),
                               .name = "install"});
    INFO(install.out << install.err);
    REQUIRE(install.exit_code == 0);
  }
  std::filesystem::path unit() const { return prefix / "lib/systemd/system/chatops-bot.service"; }
  std::filesystem::path man(const std::string& page) const {
    return prefix / "share/man" / ("man" + page.substr(page.rfind('.') + 1)) / page;
  }
  std::filesystem::path example() const { return prefix / "share/doc/chatops-bot/examples/chatops-bot.yml"; }
  Finished run(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env = {}) const {
    env.emplace_back("MANPATH", (prefix / "share/man").string());
    return run_to_end({.argv = std::move(argv), .env = std::move(env), .log_dir = dir.path(), .name = "tool"});
  }
};

}  // namespace

TEST_CASE("cmake --install puts the binary, the man pages, an example configuration and the unit under the prefix",
          "[packaging]") {
  Installed installed;
  for (const auto& file : {installed.prefix / "bin/chatops-bot", installed.man("chatops-bot.1"),
                           installed.man("chatops-bot.yml.5"), installed.example(), installed.unit()}) {
    INFO(file);
    CHECK(std::filesystem::is_regular_file(file));
  }
  // The unit names the binary where this prefix put it.
  CHECK(read_file(installed.unit()).find("ExecStart=" + (installed.prefix / "bin/chatops-bot").string() + " ") !=
        std::string::npos);
}

TEST_CASE("the installed systemd unit passes systemd-analyze verify, with its binary and man pages found",
          "[packaging][systemd]") {
  Installed installed;
  auto verify = installed.run({"systemd-analyze", "verify", installed.unit().string()});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.err.empty());  // verify warns (and still exits 0) about a value it ignores
}

TEST_CASE("the systemd unit is hardened: systemd-analyze rates its exposure at most 2.0 (\"OK\")",
          "[packaging][systemd]") {
  Installed installed;
  // --threshold is on a 0-100 scale: 20 is an exposure of 2.0.
  auto security = installed.run({"systemd-analyze", "security", "--offline=true", "--threshold=20",
                                 "--no-pager", installed.unit().string()});
  INFO(security.out << security.err);
  CHECK(security.exit_code == 0);
  const std::string unit = read_file(installed.unit());
  for (const char* setting : {"DynamicUser=yes", "StateDirectory=chatops-bot", "ProtectSystem=strict",
                              "NoNewPrivileges=yes", "Restart=on-failure"}) {
    INFO(setting);
    CHECK(unit.find(std::string("\n") + setting + "\n") != std::string::npos);
  }
}

TEST_CASE("the man pages render without a warning from groff", "[packaging][man]") {
  Installed installed;
  for (const char* page : {"chatops-bot.1", "chatops-bot.yml.5"}) {
    auto man = installed.run({"man", "--warnings=all", "-E", "UTF-8", "-l", installed.man(page).string()},
                             {{"MANWIDTH", "80"}, {"LC_ALL", "C.UTF-8"}, {"MAN_KEEP_STDERR", "1"}});
    INFO(page << ": " << man.err);
    CHECK(man.exit_code == 0);
    CHECK(man.err.empty());
    CHECK(man.out.find("chatops-bot") != std::string::npos);
  }
  // chatops-bot.yml(5) says what docs/configuration.md says: every section and source kind.
  auto config_page = installed.run({"man", "-l", installed.man("chatops-bot.yml.5").string()},
                                   {{"MANWIDTH", "200"}, {"LC_ALL", "C.UTF-8"}});
  for (const char* heading : {"config.yml.irc.servers", "config.yml.http", "config.yml.binds", "kind: webhook"}) {
    INFO(heading);
    CHECK(config_page.out.find(heading) != std::string::npos);
  }
}

TEST_CASE("the example configuration is valid once the variables it reads are set", "[packaging]") {
  Installed installed;
  const std::string binary = (installed.prefix / "bin/chatops-bot").string();
  auto check = installed.run({binary, "--check", "--config", installed.example().string()},
                             {{"IRC_HOST", "irc.example.org"}, {"GITHUB_WEBHOOK_SECRET", "s3cret"}});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);

  auto unset = installed.run({binary, "--check", "--config", installed.example().string()},
                             {{"IRC_HOST", "irc.example.org"}});
  CHECK(unset.exit_code == 2);
  CHECK(unset.err.find("GITHUB_WEBHOOK_SECRET is not set") != std::string::npos);
}

TEST_CASE("the installed bot loads its modules from where cmake --install put them", "[packaging][modules]") {
  Installed installed;
  auto listed = installed.run({(installed.prefix / "bin/chatops-bot").string(), "--modules"});
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 0);
  CHECK_FALSE(listed.out.empty());
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    const auto name = line.substr(0, line.find(':'));
    CHECK(line.starts_with(name + ": " + installed.prefix.string() + "/lib"));
    CHECK(line.ends_with("/chatops-bot/chatops-" + name + ".so"));
  }
}
