// The application's side of the built-in commands (bot/commands/builtins.hpp): what they read and
// what they change, on the io thread. Mutes and pauses are kept in the journal's state table
// (scope "commands") so that a restart keeps them.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bot/app.hpp"
#include "bot/commands/commands_config.hpp"
#include "ingestion/api/http_client.hpp"

namespace chatops::bot {

namespace {
constexpr std::string_view kStateScope = "commands";
constexpr std::string_view kUserScope = "users";
constexpr std::string_view kAckScope = "acks";
constexpr auto kAckKept = std::chrono::days(7);  // then the ack is forgotten (the alert long gone or re-fired)
constexpr std::size_t kReplyLineCap = 3;  // IRC lines one reply line may wrap into

std::string mute_key(MuteKind kind, const std::string& name) {
  return std::string(kind == MuteKind::Channel ? "mute channel " : "mute source ") + name;
}
std::string pause_key(const std::string& source) { return "pause " + source; }

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

Result<App::CommandSettings> App::command_settings(const config::Node& root) {
  auto commands = commands_config(root.map("commands"));
  if (!commands) return std::unexpected(commands.error());
  auto alertmanager = alertmanager_api_options(root.map("alertmanager"));
  if (!alertmanager) return std::unexpected(alertmanager.error());
  if (*alertmanager)
    if (auto loaded = ingestion::api::load_http_client_module(); !loaded)
      return std::unexpected(root.map("alertmanager")["url"].error(loaded.error().message));
  return CommandSettings{std::move(*commands), std::move(*alertmanager)};
}

Result<void> App::build_commands() {
  const auto& settings = command_settings_;
  commands_ = std::make_unique<CommandTable>(
      binds_, settings.commands.options,
      [this](const std::string& target, const std::string& text, bool notice) {
        planner_->say(bindings::Utterance{target, text, notice, kReplyLineCap, {}});
      },
      [this] { return casemapping(); });
  commands_->set_offload([this](SlowWork work, std::function<void(Reply)> done) {
    command_worker_->run(std::move(work), std::move(done));
  });
  silence_client_ = settings.alertmanager ? std::make_shared<SilenceClient>(*settings.alertmanager) : nullptr;
  return add_builtin_commands(*commands_, *this, settings.commands.flags);
}

text::CaseMapping App::casemapping() const { return irc_->isupport().casemapping(); }

BotStatus App::status() {
  const auto irc = irc_->status();
  BotStatus s;
  s.version = version_;
  s.uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  s.irc_server = irc.server;
  s.irc_state = std::string(irc::to_string(irc.state));
  s.nick = irc.nick;
  s.joined = irc.joined;
  if (auto backlog = journal_->backlog()) s.backlog = *backlog;
  else s.journal_error = backlog.error().message;
  if (auto oldest = journal_->oldest_pending_age())
    s.oldest_pending = std::chrono::duration_cast<std::chrono::seconds>(*oldest);
  return s;
}

std::vector<ingestion::SourceReport> App::sources() { return manager_->reports(); }

std::vector<bindings::BindInfo> App::binds() { return binds_.binds(); }

bool App::set_paused(const std::string& source, bool paused) {
  if (!manager_->set_paused(source, paused)) return false;
  spdlog::info("source {}: {} from IRC", source, paused ? "paused" : "resumed");
  if (paused) remember(pause_key(source), "1");
  else forget(pause_key(source));
  return true;
}

Result<std::vector<ingestion::IngestionEvent>> App::history(std::size_t limit, const std::string& topic_mask) {
  return journal_->history(limit, topic_mask);
}

bool App::is_channel(const std::string& name) const { return irc_->isupport().is_channel(name); }

void App::mute(Mute m) {
  spdlog::info("{} muted by {}{}", m.name, m.by, m.until ? "" : " until unmuted");
  remember(mute_key(m.kind, m.name), m.by, m.until);
  mutes_.add(std::move(m), casemapping());
  arm_mute_timer();
}

std::optional<Mute> App::unmute(MuteKind kind, const std::string& name) {
  auto removed = mutes_.remove(kind, name, casemapping());
  if (removed) release(*removed);
  return removed;
}

void App::release(const Mute& ended) {
  spdlog::info("{} unmuted", ended.name);
  forget(mute_key(ended.kind, ended.name));
  arm_mute_timer();
  // Posted: the command's own answer goes out before what waited.
  const auto target = ended.kind == MuteKind::Channel ? ended.name : Dispatcher::held_target(ended.name);
  asio::post(io_, [this, target] { dispatcher_->target_ready(target); });
}

void App::arm_mute_timer() {
  mute_timer_.cancel();
  const auto next = mutes_.next_end();
  if (!next) return;
  const auto wait = std::max(*next - std::chrono::system_clock::now(), std::chrono::system_clock::duration::zero());
  mute_timer_.expires_after(wait);
  mute_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    for (const auto& ended : mutes_.expire(std::chrono::system_clock::now())) release(ended);
    arm_mute_timer();
  });
}

void App::remember(const std::string& key, const std::string& value,
                   std::optional<std::chrono::system_clock::time_point> until) {
  // The end of a mute is the entry's expiry too: an ended mute reads as absent after a restart.
  const auto stored = until ? std::to_string(epoch_ms(*until)) + " " + value : "- " + value;
  if (auto put = journal_->put_state(kStateScope, key, stored, until); !put)
    spdlog::error("commands: cannot keep \"{}\" in the journal: {}", key, put.error().message);
}

void App::forget(const std::string& key) {
  if (auto deleted = journal_->delete_state(kStateScope, key); !deleted)
    spdlog::error("commands: cannot forget \"{}\" in the journal: {}", key, deleted.error().message);
}

Result<void> App::put_user(bindings::User user) {
  if (const auto* existing = users_.by_handle(user.handle, casemapping()); existing && existing->added_by.empty())
    return fail(user.handle + " is declared in config.yml");
  if (auto put = journal_->put_state(kUserScope, user.handle, bindings::user_to_json(user)); !put) return put;
  spdlog::info("user {} saved (added by {})", user.handle, user.added_by);
  // After the message being dispatched: its bind contexts point into the list.
  asio::post(io_, [this, user = std::move(user)]() mutable {
    users_.remove(user.handle, casemapping());
    users_.add(std::move(user));
  });
  return {};
}

Result<void> App::remove_user(const std::string& handle) {
  if (auto deleted = journal_->delete_state(kUserScope, handle); !deleted) return deleted;
  spdlog::info("user {} deleted", handle);
  asio::post(io_, [this, handle] { users_.remove(handle, casemapping()); });
  return {};
}

std::vector<Ack> App::acks() {
  std::vector<Ack> out;
  auto entries = journal_->list_state(kAckScope);
  if (!entries) {
    spdlog::error("acks: cannot read them from the journal: {}", entries.error().message);
    return out;
  }
  for (const auto& [id, value] : *entries) {
    const auto json = nlohmann::json::parse(value, nullptr, false);
    if (!json.is_object() || !json.value("at", nlohmann::json()).is_number_integer()) continue;  // not ours
    out.push_back(Ack{id, json.value("alert", ""), json.value("by", ""),
                      std::chrono::system_clock::time_point(std::chrono::milliseconds(json["at"].get<std::int64_t>()))});
  }
  std::ranges::sort(out, {}, &Ack::at);
  return out;
}

Result<void> App::ack(Ack ack) {
  const nlohmann::json value{{"alert", ack.alert}, {"by", ack.by}, {"at", epoch_ms(ack.at)}};
  if (auto put = journal_->put_state(kAckScope, ack.id, value.dump(), ack.at + kAckKept); !put) return put;
  spdlog::info("alert {} ({}) acknowledged by {}", ack.id, ack.alert, ack.by);
  return {};
}

void App::restore_users() {
  auto entries = journal_->list_state(kUserScope);
  if (!entries) {
    spdlog::error("users: cannot read the users added from IRC: {}", entries.error().message);
    return;
  }
  for (const auto& [handle, json] : *entries) {
    auto user = bindings::user_from_json(json);
    if (!user) {
      spdlog::error("users: {} in the journal: {}; left out", handle, user.error().message);
    } else if (users_.by_handle(user->handle, text::CaseMapping::Rfc1459)) {
      // config.yml owns its users: one declared there since wins.
      spdlog::warn("users: {} is declared in config.yml; the one added from IRC is left out", user->handle);
    } else {
      users_.add(std::move(*user));
    }
  }
}

void App::restore_controls() {
  auto entries = journal_->list_state(kStateScope);
  if (!entries) {
    spdlog::error("commands: cannot read mutes and pauses from the journal: {}", entries.error().message);
    return;
  }
  for (const auto& [key, value] : *entries) {
    if (key.starts_with("pause ")) {
      const auto source = key.substr(6);
      if (manager_->set_paused(source, true)) spdlog::info("source {}: paused (since before the restart)", source);
      else forget(key);  // the source is gone from the configuration
      continue;
    }
    const bool channel = key.starts_with("mute channel ");
    if (!channel && !key.starts_with("mute source ")) continue;
    Mute m{channel ? MuteKind::Channel : MuteKind::Source, key.substr(channel ? 13 : 12), std::nullopt, ""};
    const auto space = value.find(' ');
    m.by = space == std::string::npos ? "" : value.substr(space + 1);
    if (value.substr(0, space) != "-") {
      std::int64_t ms = 0;
      try {
        ms = std::stoll(value.substr(0, space));
      } catch (const std::exception&) {
        forget(key);  // not written by this code: dropped rather than guessed at
        continue;
      }
      m.until = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    }
    spdlog::info("{} muted (since before the restart)", m.name);
    mutes_.add(std::move(m), text::CaseMapping::Rfc1459);
  }
  arm_mute_timer();
}

}  // namespace chatops::bot
