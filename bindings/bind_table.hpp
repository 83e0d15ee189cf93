#pragma once
// The bind table: `bind <type> <flags> <mask> <handler>` with Eggdrop semantics.
//
// - pub and msg binds are exclusive per mask (binding the same mask again replaces the old bind);
//   all other types stack, and every matching bind runs in declaration order until one returns
//   BindResult::Stop.
// - Masks are wildcards (see mask.hpp); pub/msg masks are a command word compared whole.
// - Flags (flags.hpp) are checked against the user's global and channel flags for IRC types;
//   time, cron and ingestion binds ignore them.
// - Lookup cost does not grow with the number of wildcard-free binds: those sit in a hash map
//   per type, keyed by the (case-folded) mask; wildcard binds are scanned per type.
//
// Not thread-safe: the io thread owns it. Handlers may bind and unbind while being dispatched.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bindings/bind_type.hpp"
#include "bindings/clock.hpp"
#include "bindings/context.hpp"
#include "bindings/flags.hpp"
#include "core/error.hpp"
#include "core/text/casemap.hpp"

namespace chatops::bindings {

using BindId = std::uint64_t;  // also the declaration order

enum class BindResult {
  Continue,  // handled; the next matching bind runs too
  Stop,      // handled; no further bind runs for this dispatch
  Skip,      // not for this handler after all (e.g. its field filters): not counted as a hit
};
using Handler = std::function<BindResult(const BindContext&)>;

// Where a bind was declared, for listings and messages: "config.yml:12:5" or "C++".
struct Origin {
  std::string where = "C++";
};

struct BindInfo {
  BindId id;
  BindType type;
  std::string flags;  // as declared
  std::string mask;
  std::uint64_t hits;
  std::string origin;
};

class BindTable {
 public:
  // Fails on invalid flags or (cron) an invalid spec. A pub/msg bind replaces the bind with the
  // same mask.
  Result<BindId> bind(BindType type, std::string flags, std::string mask, Handler handler, Origin origin = {});
  // Removes the binds of `type` whose flags and mask are the same (flags compared in canonical
  // form, masks as the dispatcher would compare them). Returns how many.
  std::size_t unbind(BindType type, std::string_view flags, std::string_view mask);
  bool unbind(BindId id);

  // Runs the binds of `type` that match, in declaration order, until one returns Stop; returns
  // how many ran (a handler returning Skip does not count). `match_text` per type:
  //   pub, msg   the message text; its first word is compared with the mask
  //   pubm       "#channel text"          msgm   "text"
  //   join, part "#channel nick!user@host" kick  "#channel kicked-nick"
  //   nick       "#channel newnick"       mode   "#channel +o nick" (the change)
  //   raw        the IRC command or numeric ("PRIVMSG", "001")
  //   time       eggdrop_time_text(local) cron   ignored: matched against context.tick()
  //   ingestion  the event's topic ("github/push")
  // `mapping` is the server's current casemapping (IRC types).
  std::size_t dispatch(BindType type, std::string_view match_text, const BindContext& context,
                       text::CaseMapping mapping);
  // An ingestion event: its kind picks the type, its topic is matched. 0 for an unknown kind.
  std::size_t dispatch(const ingestion::IngestionEvent& event);
  // Once a minute: the time binds, then the cron binds; `summary` is what their templates see
  // besides time and date (ClockTick).
  std::size_t dispatch_minute(const std::tm& local, nlohmann::json summary = nlohmann::json::object());
  // True when a time or cron bind is declared (the summary is worth gathering).
  bool has_clock_binds() const;

  // Every bind, in declaration order.
  std::vector<BindInfo> binds() const;
  std::size_t size() const { return entries_.size(); }

  // Told (after the log line) when a handler throws, with where the bind was declared; the
  // chain goes on either way.
  std::function<void(const Origin& origin, const std::string& what)> on_handler_failure;
  // Told when a pub or msg bind matched but the user's flags do not allow it (Eggdrop stays
  // silent; commands answer politely). Nothing ran, nothing is counted.
  std::function<void(BindId id, const BindContext& context)> on_refused;

 private:
  struct Entry {
    BindType type;
    std::string flags_text;
    FlagMask flags;
    std::string mask;
    bool exact;                     // indexed by key instead of scanned
    std::optional<CronSpec> cron;
    std::shared_ptr<const Handler> handler;  // shared so a handler may unbind itself while running
    Origin origin;
    std::uint64_t hits = 0;
  };
  struct TypeIndex {
    std::unordered_map<std::string, std::vector<BindId>> exact;  // key → ids, ascending
    std::vector<BindId> wildcard;                                // ascending
  };

  std::string key_of(BindType type, std::string_view mask) const;
  bool matches(const Entry& entry, std::string_view text, const BindContext& context,
               text::CaseMapping mapping) const;
  bool allowed(const Entry& entry, const BindContext& context, text::CaseMapping mapping) const;
  void use_casemapping(text::CaseMapping mapping);
  void remove(BindId id);

  std::unordered_map<BindId, Entry> entries_;
  std::array<TypeIndex, kBindTypeCount> index_;
  text::CaseMapping index_mapping_ = text::CaseMapping::Rfc1459;  // what exact keys are folded with
  BindId next_id_ = 1;
};

}  // namespace chatops::bindings
