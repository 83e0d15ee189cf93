// Live reload (`!reload`, SIGHUP; docs/operations.md): config.yml is read and validated as at
// start-up, and only a file that passes everything changes anything. Then sources are swapped
// through the supervisor (IngestionManager::reconfigure), and binds, templates, commands, users
// and the Alertmanager client are rebuilt. Sections that live as long as the process (the IRC
// connection, the HTTP listener, the journal, the log, delivery) are reported as needing a restart.
#include <array>
#include <malloc.h>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "bindings/config_binds.hpp"
#include "bot/app.hpp"

namespace chatops::bot {

namespace {

constexpr std::array kRestartSections = {"irc", "http", "storage", "log", "delivery", "handlers"};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string counted(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string changes_text(const ingestion::SourceChanges& c) {
  std::string out;
  auto part = [&out](const char* what, const std::vector<std::string>& names) {
    if (!names.empty()) out += std::string(out.empty() ? "" : "; ") + what + " " + joined(names);
  };
  part("added", c.added);
  part("removed", c.removed);
  part("restarted", c.changed);
  return out.empty() ? "unchanged" : out;
}

}  // namespace

std::vector<std::string> App::restart_sections(const config::Node& root) {
  std::vector<std::string> out;
  for (const auto* name : kRestartSections) {
    const auto section = root[name];
    out.push_back(section.defined() ? YAML::Dump(section.yaml()) : "");
  }
  return out;
}

std::vector<std::string> App::reload(const std::string& by) {
  spdlog::info("reload of {} asked by {}", config_path_, by);
  auto refused = [](const std::string& why) {
    spdlog::error("reload refused, the configuration in use stays: {}", why);
    return std::vector<std::string>{"Reload failed, the configuration in use stays: " + first_line(why)};
  };
  // Everything that can fail, first; the file must pass all of it before anything changes.
  auto next = load_app_config(config_path_);
  if (!next) return refused(next.error().message);
  const auto& root = next->root;
  auto users = bindings::UserList::from(root["users"]);
  if (!users) return refused(users.error().message);
  auto binds = bindings::parse_binds(root["binds"]);
  if (!binds) return refused(binds.error().message);
  auto commands = command_settings(root);
  if (!commands) return refused(commands.error().message);
  {
    // Installed on a table of their own first, as they will be: what install refuses shows here.
    bindings::BindTable trial;
    CommandTable trial_commands(trial, commands->commands.options, [](const std::string&, const std::string&, bool) {});
    if (auto added = add_builtin_commands(trial_commands, *this, commands->commands.flags); !added)
      return refused(added.error().message);
    if (auto installed = bindings::install_binds(trial, *binds, *planner_, &handler_services_); !installed)
      return refused(installed.error().message);
  }
  // Against the configuration the process started with: that is what these sections still run on.
  const auto sections = restart_sections(root);
  std::vector<std::string> need_restart;
  for (std::size_t i = 0; i < kRestartSections.size(); ++i)
    if (sections[i] != started_sections_[i]) need_restart.push_back(kRestartSections[i]);
  // The last fallible step: the changed sources are built (not started) before any is stopped.
  auto changes = manager_->reconfigure(sources_run_here(root));
  if (!changes) return refused(changes.error().message);

  // From here nothing fails. The bind table is rebuilt after the message being dispatched (a
  // `!reload` runs inside a dispatch of the table it replaces).
  command_settings_ = std::move(*commands);
  const auto counts = counted(binds->size(), "bind") + " and " + counted(users->users().size(), "user");
  asio::post(io_, [this, users = std::move(*users), binds = std::move(*binds)]() mutable {
    retired_commands_.push_back(std::move(commands_));  // its slow work may still answer through it
    if (auto rebuilt = rebuild_binds(binds); !rebuilt) spdlog::error("reload: {}", rebuilt.error().message);
    users_ = std::move(users);
    restore_users();
  });
  std::vector<std::string> lines{"Reloaded " + config_path_ + ": sources " + changes_text(*changes) + "; " + counts +
                                 " from the file."};
  if (!need_restart.empty())
    lines.push_back("Changed but kept until a restart: " + joined(need_restart) + ".");
  for (const auto& line : lines) spdlog::info("reload: {}", line);
  // Once this returns, the file's validated document is freed: its heap pages go back to the system.
  asio::post(io_, [] { malloc_trim(0); });
  return lines;
}

void App::arm_reload_signal() {
  reload_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    reload("SIGHUP");
    arm_reload_signal();
  });
}

}  // namespace chatops::bot
