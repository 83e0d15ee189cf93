// The built-in commands' exact answers, on plain data standing for the application.
#include <catch2/catch.hpp>

#include "bot/commands/builtins.hpp"
#include "tests/unit/bot/commands/command_harness.hpp"

using namespace chatops;
using namespace chatops::test;
using namespace std::chrono_literals;

namespace {

class PlainControl final : public bot::BotControl {
 public:
  bot::BotStatus status() override { return status_; }
  std::vector<ingestion::SourceReport> sources() override { return sources_; }
  std::vector<bindings::BindInfo> binds() override { return binds_; }
  bool set_paused(const std::string& source, bool paused) override {
    for (auto& s : sources_)
      if (s.name == source) {
        s.paused = paused;
        return true;
      }
    return false;
  }
  Result<std::vector<ingestion::IngestionEvent>> history(std::size_t limit, const std::string& mask) override {
    asked_limit = limit;
    asked_mask = mask;
    return events_;
  }
  void mute(bot::Mute m) override { mutes_.add(std::move(m), text::CaseMapping::Rfc1459); }
  std::optional<bot::Mute> unmute(bot::MuteKind kind, const std::string& name) override {
    return mutes_.remove(kind, name, text::CaseMapping::Rfc1459);
  }
  const bot::Mutes& mutes() const override { return mutes_; }
  bool is_channel(const std::string& name) const override { return name.starts_with('#'); }
  text::CaseMapping casemapping() const override { return text::CaseMapping::Rfc1459; }
  const bindings::UserList& users() const override { return *users_; }
  // Like the application, changes apply after the message's dispatch (see apply_later()).
  Result<void> put_user(bindings::User user) override {
    later_.push_back([this, user] {
      users_->remove(user.handle, casemapping());
      users_->add(user);
    });
    return {};
  }
  Result<void> remove_user(const std::string& handle) override {
    later_.push_back([this, handle] { users_->remove(handle, casemapping()); });
    return {};
  }
  const bot::SeenNick* seen(const std::string& nick) const override { return tracker_->seen(nick, casemapping()); }
  std::vector<bot::Ack> acks() override { return acks_; }
  std::shared_ptr<bot::SilenceClient> silence_client() override { return nullptr; }  // real ones: tests/integration
  std::vector<std::string> reload(const std::string& by) override { return {"reloaded for " + by}; }  // real: e2e
  Result<void> ack(bot::Ack a) override {
    std::erase_if(acks_, [&a](const bot::Ack& old) { return old.id == a.id; });
    acks_.push_back(std::move(a));
    return {};
  }
  void apply_later() {
    for (auto& change : std::exchange(later_, {})) change();
  }

  bot::BotStatus status_;
  std::vector<ingestion::SourceReport> sources_;
  std::vector<bindings::BindInfo> binds_;
  std::vector<ingestion::IngestionEvent> events_;
  bot::Mutes mutes_;
  std::vector<bot::Ack> acks_;
  bindings::UserList* users_ = nullptr;
  const bot::AccountTracker* tracker_ = nullptr;
  std::vector<std::function<void()>> later_;
  std::size_t asked_limit = 0;
  std::string asked_mask;
};

ingestion::SourceReport source(std::string name, std::string kind) {
  ingestion::SourceReport r;
  r.name = std::move(name);
  r.kind = std::move(kind);
  r.family = r.kind == "webhook" ? "webhook" : "api";
  r.status.state = ingestion::SourceState::Running;
  return r;
}

struct Builtins {
  Builtins() {
    control.sources_ = {source("github", "webhook"), source("tickets", "api")};
    control.users_ = &h.users;
    control.tracker_ = &h.accounts;
    h.users.add(user("owner", "*!own@example.org", "n"));
    h.users.add(user("op", "*!op@example.org", "o"));
    REQUIRE(bot::add_builtin_commands(h.table, control));
  }
  std::vector<Said> ask(const std::string& who, const std::string& text) {
    h.from(who, "#ops", text);
    control.apply_later();
    return h.take();
  }
  PlainControl control;
  CommandHarness h{[] {
    bot::CommandOptions o;
    o.user_burst = 100;
    o.channel_burst = 100;
    return o;
  }()};
};

const std::string kOwner = "owner!own@example.org";
const std::string kOp = "op!op@example.org";
const std::string kStranger = "eve!e@elsewhere";

}  // namespace

TEST_CASE("help lists only the commands the asker may run, and explains one") {
  Builtins b;
  CHECK(b.ask(kStranger, "!help") ==
        std::vector<Said>{{"#ops", "Commands: help, whoami, version. Say !help <command> for one.", false}});
  CHECK(b.ask(kOp, "!help") ==
        std::vector<Said>{{"#ops", "Commands: help, whoami, version, status, sources, binds, history, ack, silence, silences, unsilence. Say !help <command> for one.", false}});
  CHECK(b.ask(kOwner, "!help") ==
        std::vector<Said>{{"#ops", "Commands: help, whoami, version, status, sources, binds, history, pause, resume, mute, "
                                   "unmute, reload, users, whois, adduser, deluser, chattr, ack, silence, silences, unsilence. Say !help <command> for one.", false}});
  CHECK(b.ask(kOwner, "!help pause") ==
        std::vector<Said>{{"#ops",
                           "!pause <source> — Stop taking events from a source: a poller stops polling, a webhook "
                           "answers 503 with Retry-After. Needs flags m|m.",
                           false}});
  CHECK(b.ask(kStranger, "!help pause") ==
        std::vector<Said>{{"#ops", "eve: no command 'pause' for you (say !help for the list).", false}});
}

TEST_CASE("whoami tells a known user their handle and flags, and a stranger how they look") {
  Builtins b;
  CHECK(b.ask(kOwner, "!whoami") ==
        std::vector<Said>{{"#ops", "owner: you are owner (recognised by hostmask), flags mno.", false}});
  CHECK(b.ask(kStranger, "!whoami") ==
        std::vector<Said>{{"#ops", "eve: I do not know you (eve!e@elsewhere, not logged in); you may use !help.", false}});
}

TEST_CASE("pause and resume a source by name, an unknown name is answered with the names") {
  Builtins b;
  CHECK(b.ask(kOwner, "!pause github") ==
        std::vector<Said>{{"#ops", "github paused: it takes nothing until resumed (a webhook answers 503 with Retry-After).", false}});
  CHECK(b.control.sources_[0].paused);
  CHECK(b.ask(kOwner, "!sources")[0].text == "github (webhook): paused, 0 accepted, 0 duplicates, 0 refused");
  CHECK(b.ask(kOwner, "!resume github") == std::vector<Said>{{"#ops", "github resumed.", false}});
  CHECK_FALSE(b.control.sources_[0].paused);
  CHECK(b.ask(kOwner, "!pause gitlab") ==
        std::vector<Said>{{"#ops", "owner: no source named 'gitlab' (sources: github, tickets).", false}});
  CHECK(b.ask(kOp, "!pause github") ==
        std::vector<Said>{{"#ops", "op: sorry, !pause needs flags m|m.", false}});
}

TEST_CASE("mute a channel or a source, for a while or until unmuted") {
  Builtins b;
  CHECK(b.ask(kOwner, "!mute #ops 30m") ==
        std::vector<Said>{{"#ops", "Muted #ops for 30m: its events wait in the journal.", false}});
  CHECK(b.ask(kOwner, "!mute tickets") ==
        std::vector<Said>{{"#ops", "Muted tickets until unmuted: its events wait in the journal.", false}});
  REQUIRE(b.control.mutes_.all().size() == 2);
  CHECK(b.control.mutes_.channel_muted("#OPS", text::CaseMapping::Rfc1459));
  CHECK(b.control.mutes_.source_muted("tickets"));
  CHECK(b.control.mutes_.all()[0].by == "owner");
  CHECK(b.ask(kOwner, "!mute nowhere") ==
        std::vector<Said>{{"#ops", "owner: no channel or source named 'nowhere' (sources: github, tickets).", false}});
  CHECK(b.ask(kOwner, "!mute #ops soon") ==
        std::vector<Said>{{"#ops", "owner: invalid duration 'soon' (30s, 10m, 2h, 1d; at most a year).", false}});
  CHECK(b.ask(kOwner, "!unmute tickets") ==
        std::vector<Said>{{"#ops", "Unmuted tickets: what waited is said now.", false}});
  CHECK(b.ask(kOwner, "!unmute tickets") == std::vector<Said>{{"#ops", "owner: 'tickets' is not muted.", false}});
}

TEST_CASE("status says IRC, uptime, version, the journal's backlog, mutes and each source") {
  Builtins b;
  b.control.status_ = {"1.2.0", 3723s, "irc.test:6667", "registered", "opsbot", {"#ops"}, 3, 125s, ""};
  b.control.sources_[1].status.state = ingestion::SourceState::Retrying;
  b.control.sources_[1].status.last_error = "connection refused";
  b.control.sources_[1].accepted = 7;
  CHECK(b.ask(kOp, "!status") ==
        std::vector<Said>{
            {"#ops", "chatops-bot 1.2.0, up 1h 2m; IRC irc.test:6667 registered as opsbot in #ops", false},
            {"#ops", "journal: 3 events waiting (oldest 2m 5s); muted: nothing", false},
            {"#ops", "github (webhook): running, 0 accepted, 0 duplicates, 0 refused", false},
            {"#ops", "tickets (api): retrying, 7 accepted, 0 duplicates, 0 refused, last error: connection refused", false},
        });
}

TEST_CASE("history asks the journal for the last events, by topic or by source, at most 20") {
  Builtins b;
  ingestion::IngestionEvent push;
  push.id = 12;
  push.source = "github";
  push.topic = "github/push";
  push.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));  // 22:13:20 UTC
  push.fields = {{"repo", "org/api"}};
  push.default_template = "[{{repo}}] pushed";
  ingestion::IngestionEvent ticket = push;
  ticket.id = 11;
  ticket.source = "tickets";
  ticket.topic = "tickets/new";
  ticket.default_template = "";
  b.control.events_ = {push, ticket};
  CHECK(b.ask(kOp, "!history") == std::vector<Said>{{"#ops", "#12 22:13:20 github github/push: [org/api] pushed", false},
                                                      {"#ops", "#11 22:13:20 tickets tickets/new", false}});
  CHECK(b.control.asked_limit == 5);
  b.ask(kOp, "!history github/* 50");
  CHECK(b.control.asked_mask == "github/*");
  CHECK(b.control.asked_limit == 20);
  CHECK(b.ask(kOp, "!history tickets") == std::vector<Said>{{"#ops", "#11 22:13:20 tickets tickets/new", false}});
  // field=value filters on the event's fields (and _event.*), wildcards allowed
  ticket.fields = {{"repo", "org/web"}};
  b.control.events_ = {push, ticket};
  CHECK(b.ask(kOp, "!history repo=org/a*") ==
        std::vector<Said>{{"#ops", "#12 22:13:20 github github/push: [org/api] pushed", false}});
  CHECK(b.control.asked_limit == 500);  // filtered: more are looked through
  CHECK(b.ask(kOp, "!history 1 _event.source=tickets repo=org/*") ==
        std::vector<Said>{{"#ops", "#11 22:13:20 tickets tickets/new", false}});
  CHECK(b.ask(kOp, "!history repo=nothing") ==
        std::vector<Said>{{"#ops", "op: nothing said in the journal's retention.", false}});
  CHECK(b.ask(kOp, "!history github tickets") ==
        std::vector<Said>{{"#ops", "op: usage: history [source|topic] [n] [field=value …]", false}});
  b.control.events_.clear();
  CHECK(b.ask(kOp, "!history") == std::vector<Said>{{"#ops", "op: nothing said in the journal's retention.", false}});
}

TEST_CASE("ack marks an alert by its short id, status and history show who acknowledged it", "[commands][alerts]") {
  Builtins b;
  ingestion::IngestionEvent firing;
  firing.id = 30;
  firing.source = "alerts";
  firing.topic = "alertmanager/firing";
  firing.time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));  // 22:13:20 UTC
  firing.fields = {{"alertname", "HighLatency"},
                   {"alerts", {{{"id", "3fa9c1"}, {"name", "HighLatency"}, {"instance", "a:1"}},
                               {{"id", "07be42"}, {"name", "HighLatency"}, {"instance", "b:1"}}}}};
  firing.default_template = "FIRING {{alertname}}";
  b.control.events_ = {firing};

  CHECK(b.ask(kOp, "!ack 3FA9C1") ==
        std::vector<Said>{{"#ops", "Alert 3fa9c1 (HighLatency on a:1) acknowledged by op.", false}});
  CHECK(b.control.asked_mask == "alertmanager/*");
  REQUIRE(b.control.acks_.size() == 1);
  CHECK(b.control.acks_[0].by == "op");
  CHECK(b.ask(kOp, "!history") ==
        std::vector<Said>{{"#ops", "#30 22:13:20 alerts alertmanager/firing: FIRING HighLatency (acked 3fa9c1 by op)", false}});
  b.control.status_ = {"1.2.0", 60s, "irc.test:6667", "registered", "opsbot", {}, 0, 0s, ""};
  b.control.sources_.clear();
  CHECK(b.ask(kOp, "!status").back() == Said{"#ops", "acknowledged: 3fa9c1 HighLatency on a:1 by op", false});

  CHECK(b.ask(kOp, "!ack 000000") == std::vector<Said>{{"#ops", "op: no alert 000000 in the journal's retention.", false}});
  CHECK(b.ask(kOp, "!ack zz\x01") ==
        std::vector<Said>{{"#ops", "op: an alert id is the 6 hex digits an alert line carries in [brackets].", false}});
  CHECK(b.ask(kOp, "!ack") ==
        std::vector<Said>{{"#ops", "op: usage: ack <alert id> (the [id] an alert line carries)", false}});
  CHECK(b.ask(kStranger, "!ack 07be42") ==
        std::vector<Said>{{"#ops", "eve: sorry, !ack needs flags o|o and I do not know you (say !whoami).", false}});
  CHECK(b.control.acks_.size() == 1);
}

TEST_CASE("binds lists every bind with its flags and hits, commands included") {
  Builtins b;
  b.control.binds_ = {{1, bindings::BindType::Pub, "-|-", "!help", 4, "command help"},
                      {2, bindings::BindType::Webhook, "-|-", "github/*", 9, "config.yml:30:5"}};
  CHECK(b.ask(kOp, "!binds") == std::vector<Said>{{"#ops", "pub -|- !help hits 4 (command help)", false},
                                                   {"#ops", "webhook -|- github/* hits 9 (config.yml:30:5)", false}});
}

TEST_CASE("mute durations and how they are said") {
  CHECK(bot::parse_mute_duration("30s") == 30s);
  CHECK(bot::parse_mute_duration("10m") == 600s);
  CHECK(bot::parse_mute_duration("2h") == 7200s);
  CHECK(bot::parse_mute_duration("1d") == 86400s);
  for (const char* bad : {"", "m", "10", "-5m", "0m", "5w", "1.5h", "9999999999999d", "400d"})
    CHECK_FALSE(bot::parse_mute_duration(bad));
  CHECK(bot::duration_text(0s) == "0s");
  CHECK(bot::duration_text(3723s) == "1h 2m");
  CHECK(bot::duration_text(90061s) == "1d 1h");
  CHECK(bot::duration_text(59s) == "59s");
}

TEST_CASE("mutes end at their time and say which ended") {
  bot::Mutes mutes;
  const auto now = std::chrono::system_clock::now();
  mutes.add({bot::MuteKind::Channel, "#ops", now + 10s, "a"}, text::CaseMapping::Rfc1459);
  mutes.add({bot::MuteKind::Source, "github", std::nullopt, "a"}, text::CaseMapping::Rfc1459);
  mutes.add({bot::MuteKind::Channel, "#OPS", now + 20s, "b"}, text::CaseMapping::Rfc1459);  // replaces
  CHECK(mutes.all().size() == 2);
  CHECK(mutes.next_end() == now + 20s);
  CHECK(mutes.expire(now + 15s).empty());
  const auto ended = mutes.expire(now + 20s);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].by == "b");
  CHECK(mutes.source_muted("github"));
  CHECK_FALSE(mutes.channel_muted("#ops", text::CaseMapping::Rfc1459));
  CHECK_FALSE(mutes.next_end());
}

TEST_CASE("the owner adds a user, changes their flags, and deletes them, config users are left alone",
          "[commands][users]") {
  Builtins b;
  const std::string kBob = "bob!b@corp.example";
  CHECK(b.ask(kBob, "!status") == std::vector<Said>{{"#ops", "bob: sorry, !status needs flags o|o and I do not know you (say !whoami).", false}});
  CHECK(b.ask(kOp, "!adduser bob *!b@corp.example o") ==
        std::vector<Said>{{"#ops", "op: sorry, !adduser needs flags n.", false}});
  CHECK(b.ask(kOwner, "!adduser bob *!b@corp.example o") ==
        std::vector<Said>{{"#ops", "Added bob (*!b@corp.example), flags o.", false}});
  CHECK(b.ask(kBob, "!status").size() == 4);  // bob is an op now
  CHECK(b.ask(kOwner, "!chattr bob -o+v") == std::vector<Said>{{"#ops", "bob: flags v.", false}});
  CHECK(b.ask(kOwner, "!chattr bob +m #ops") == std::vector<Said>{{"#ops", "bob: flags v, mo on #ops.", false}});
  CHECK(b.ask(kBob, "!pause tickets")[0].text.starts_with("tickets paused"));  // m on #ops
  CHECK(b.ask(kOwner, "!whois bob") ==
        std::vector<Said>{{"#ops", "owner: bob!b@corp.example (account unknown) is bob, flags v, mo on #ops.", false}});
  CHECK(b.ask(kOwner, "!whois nobody") == std::vector<Said>{{"#ops", "owner: I have not seen nobody.", false}});
  CHECK(b.ask(kOwner, "!users") ==
        std::vector<Said>{{"#ops", "owner (config.yml): flags mno; hostmasks *!own@example.org", false},
                          {"#ops", "op (config.yml): flags o; hostmasks *!op@example.org", false},
                          {"#ops", "bob (added by owner): flags v, mo on #ops; hostmasks *!b@corp.example", false}});
  CHECK(b.ask(kOwner, "!chattr op +m") ==
        std::vector<Said>{{"#ops", "owner: op is declared in config.yml: change it there.", false}});
  CHECK(b.ask(kOwner, "!deluser op") ==
        std::vector<Said>{{"#ops", "owner: op is declared in config.yml: change it there.", false}});
  CHECK(b.ask(kOwner, "!adduser op *!x@y") == std::vector<Said>{{"#ops", "owner: op exists already.", false}});
  CHECK(b.ask(kOwner, "!adduser carol carol") ==
        std::vector<Said>{{"#ops", "owner: expected nick!user@host (wildcards * and ?) or $a:account, not carol.", false}});
  CHECK(b.ask(kOwner, "!adduser carol $a:carol x-y") ==
        std::vector<Said>{{"#ops", "owner: invalid flag character '-' (flags are letters a-z, A-Z).", false}});
  CHECK(b.ask(kOwner, "!chattr bob o") ==
        std::vector<Said>{{"#ops", "owner: flag changes start with + or - (+o-v).", false}});
  CHECK(b.ask(kOwner, "!deluser bob") == std::vector<Said>{{"#ops", "Deleted bob.", false}});
  CHECK(b.ask(kBob, "!status")[0].text.starts_with("bob: sorry"));
}

TEST_CASE("a user added from IRC is kept as JSON and read back the same", "[commands][users]") {
  auto user = test::user("bob", "*!b@corp.example", "v", "bobacct", {{"#ops", "m"}});
  user.added_by = "owner";
  const auto back = bindings::user_from_json(bindings::user_to_json(user));
  REQUIRE(back);
  CHECK(back->handle == "bob");
  CHECK(back->hostmasks == user.hostmasks);
  CHECK(back->account == "bobacct");
  CHECK(back->added_by == "owner");
  CHECK(back->global_flags == user.global_flags);
  CHECK(back->channel_flags == user.channel_flags);
  CHECK_FALSE(bindings::user_from_json("{\"handle\": 3}"));
  CHECK_FALSE(bindings::user_from_json("not json"));
}
