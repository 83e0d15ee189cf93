// chatops-bot: command line and start-up. Everything else lives in App.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bot/app.hpp"
#include "bot/app_config.hpp"
#include "bot/man_page.hpp"
#include "bot/version.hpp"
#include "core/log.hpp"
#include "core/modules/module_loader.hpp"
#include "ingestion/journal/instance_lock.hpp"
#include "ingestion/journal/journal_config.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"chatops-bot: says what happens in your systems in your IRC channels"};
  std::string config_path = "config.yml";
  bool check_only = false;
  bool reference = false;
  bool show_version = false;
  bool load_modules = false;
  int man_section = 0;
  cli.add_option("-c,--config", config_path, "Configuration file")->capture_default_str()->type_name("FILE");
  cli.add_flag("--check", check_only,
               "Check the configuration as start-up does, print every problem, and exit (0: valid, 2: not); "
               "it takes no lock and can run beside the bot");
  cli.add_flag("--config-reference", reference, "Print the configuration reference (Markdown) and exit");
  cli.add_option("--man-page", man_section, "Print a man page and exit: 1 the command, 5 the configuration file")
      ->check(CLI::IsMember({1, 5}))
      ->type_name("SECTION");
  cli.add_flag("--version", show_version, "Print the version and exit");
  cli.add_flag("--modules", load_modules,
               "Load every module of this build (the optional source kinds' libraries), print where each came "
               "from, and exit (0: all loaded, 1: not)");
  CLI11_PARSE(cli, argc, argv);

  if (show_version) {
    std::cout << "chatops-bot " << chatops::bot::version() << "\n";
    return 0;
  }
  if (load_modules) {
    int status = 0;
    for (const auto& name : chatops::modules::built_modules()) {
      if (auto loaded = chatops::modules::load_table(name); !loaded) {
        std::cout << name << ": " << loaded.error().message << "\n";
        status = 1;
      } else {
        std::cout << name << ": " << chatops::modules::loaded_from(name) << "\n";
      }
    }
    return status;
  }
  if (man_section != 0) {
    std::cout << (man_section == 1 ? chatops::bot::command_man_page(cli, chatops::bot::version())
                                   : chatops::bot::config_man_page(chatops::bot::version()));
    return 0;
  }
  if (reference) {
    std::cout << chatops::bot::config_reference();
    return 0;
  }
  auto config = chatops::bot::load_app_config(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 2;
  }
  if (check_only) {
    for (const auto& warning : config->warnings) std::cerr << warning << "\n";
    std::cout << config_path << ": valid\n";
    return 0;
  }
  {
    const auto log = config->root.map("log");
    chatops::log::init(log.str("level"), log.str("format") == "json");
  }
  for (const auto& warning : config->warnings) spdlog::warn("{}", warning);
  // Held until the process ends: one bot per journal.
  auto lock = chatops::ingestion::InstanceLock::acquire(
      chatops::ingestion::journal_options(config->root.map("storage")).path);
  if (!lock) {
    spdlog::critical("{}", lock.error().message);
    return 1;
  }
  // OpenSSL writes to its sockets with write(2), as cpp-httplib's client and libpq do: a peer that
  // hung up must give those calls EPIPE, not end the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto app = chatops::bot::App::create(*config, std::string(chatops::bot::version()));
  if (!app) {
    spdlog::critical("{}", app.error().message);
    return 1;
  }
  // The app keeps what it needs of the configuration: its validated document's nodes (~300 KB) go
  // now, and the heap pages they leave free go back to the system.
  config->root = {};
  malloc_trim(0);
  return (*app)->run();
}
