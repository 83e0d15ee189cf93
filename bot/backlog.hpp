#pragma once
// What waits to be said to one target (channel or nick), and the coalescing of bursts: when more
// lines wait than flood control can send within the allowed delay, the outputs of each digest
// group (bind + topic + scope, e.g. a repository or an alert group) collapse into the first one
// said in full and one digest line "… and 37 more pushes in org/repo (latest: …)".
// Nothing disappears: every output is either sent or counted in a digest that is sent.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace chatops::bot {

// One handler output of one event: the unit the journal tracks.
struct DeliveryKey {
  std::int64_t event_id = 0;
  std::string handler;  // "<bind key>:<target>", e.g. "b3f09a1c2d4e5:#ops" (bindings::bind_key)
  bool operator==(const DeliveryKey&) const = default;
};

struct Output {
  DeliveryKey key;
  std::string target;
  std::string text;          // rendered; may hold several lines
  bool notice = false;
  std::string digest_group;  // outputs with the same group may be coalesced
  std::string what;          // what the digest line calls several of them: "pushes", "events"…
  std::string scope;         // e.g. "org/repo"; "" when none
  std::chrono::system_clock::time_point received{};  // when its event arrived
  std::size_t bind_index = 0;  // its bind's position: the key of rows written before bind keys
  // Set while `text` is not rendered yet (only while its event's chunk is planned): renders it as
  // said. An output folded into a digest never is; until rendered it counts 1 to `max_lines` lines.
  std::function<Result<std::string>()> render{};
  std::size_t max_lines = 1;
};

// A line (or several) to hand to the IRC client, and what its delivery completes.
struct Send {
  std::string target;
  std::string text;
  bool notice = false;
  std::chrono::system_clock::time_point received{};  // of a line said in full; none for a digest
  std::vector<DeliveryKey> sent{};      // marked sent when delivered
  std::vector<DeliveryKey> digested{};  // marked digested when delivered
  std::size_t lines() const;
};

class Backlog {
 public:
  // Renders an output (Output::render); false when that failed: the output is dropped, and the
  // caller has dealt with its failure.
  using Render = std::function<bool(Output&)>;

  void push(Output output);
  // Lines waiting (a multi-line output counts each line; one not rendered yet counts 1)…
  std::size_t lines() const { return lines_; }
  // …and how many more there may be once every output is rendered.
  std::size_t unsure_lines() const { return unsure_lines_; }
  bool empty() const { return entries_.empty(); }
  // Renders every output not rendered yet: lines() is then exact.
  void render_all(const Render& render);
  // Coalesces when more than `capacity` lines wait; returns how many outputs went into digests.
  // Outputs not rendered yet are rendered first when they will be said in full or stand for their
  // digest's "latest", and never when they are only counted in a digest. None is left unrendered.
  std::size_t coalesce(std::size_t capacity, const Render& render = {});
  // The next send, in order; the backlog must not be empty.
  Send pop();
  // Every key waiting, for when the target is given up on (e.g. parted): they stay in the journal.
  std::vector<DeliveryKey> drain();

 private:
  struct Entry {
    Output first;                       // said in full
    std::vector<DeliveryKey> digested;  // coalesced into the digest line after it
    std::string latest;                 // text of the latest coalesced output
    bool digest_pending = false;        // the full line was sent; only the digest remains
  };
  static std::size_t line_count(const std::string& text);
  std::size_t entry_lines(const Entry& e) const;
  // Renders the entries `wanted` picks that are not rendered yet, drops those that fail; false
  // when some failed.
  bool render_wanted(const std::function<bool(std::size_t index)>& wanted, const Render& render);
  void count_lines();
  std::deque<Entry> entries_;
  std::size_t lines_ = 0;
  std::size_t unsure_lines_ = 0;
};

// "… and 37 more pushes in org/repo (latest: alice pushed 2 commits to main)": the latest text
// without formatting, shortened at a word (a URL is left out whole rather than cut).
std::string digest_line(std::size_t count, const std::string& what, const std::string& scope,
                        const std::string& latest);

// "[45s late]", "[12m late]", "[2h 5m late]", "[3d 4h late]": how long after its event arrived a
// line is said, for lines said long after (a restart after an outage, a long flood-control wait).
std::string late_marker(std::chrono::seconds age);

}  // namespace chatops::bot
