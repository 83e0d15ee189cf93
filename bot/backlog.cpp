#include "bot/backlog.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "bindings/template.hpp"
#include "core/text/utf8.hpp"

namespace chatops::bot {

namespace {

// `text` cut to about kMax bytes at a word: a word that does not fit is left out whole (a URL cut
// in the middle would lead somewhere else); only a first word longer than kMax that is not a URL
// is cut, at a UTF-8 boundary.
std::string shortened_at_word(const std::string& text) {
  constexpr std::size_t kMax = 120;
  if (text.size() <= kMax) return text;
  std::size_t end = 0;  // of the words kept
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t word_end = std::min(text.find(' ', at), text.size());
    if (word_end > kMax) break;
    end = word_end;
    at = word_end + 1;
  }
  if (end == 0) {
    const std::size_t first_end = std::min(text.find(' '), text.size());
    if (text.substr(0, first_end).find("://") != std::string::npos) return text.substr(0, first_end) + " …";
    return text::shortened(text, kMax);
  }
  return text.substr(0, end) + " …";
}

// The first line of a rendered output without mIRC formatting, shortened for the digest.
std::string summary_of(const std::string& rendered) {
  std::string line = rendered.substr(0, rendered.find('\n'));
  std::string plain;
  for (std::size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == 0x03) {  // colour: \x03[fg[,bg]]
      std::size_t digits = 0;
      while (digits < 2 && i + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[i + 1]))) ++i, ++digits;
      if (digits && i + 2 < line.size() && line[i + 1] == ',' && std::isdigit(static_cast<unsigned char>(line[i + 2]))) {
        i += 2;
        if (i + 1 < line.size() && std::isdigit(static_cast<unsigned char>(line[i + 1]))) ++i;
      }
      continue;
    }
    if (c < 0x20) continue;
    plain.push_back(line[i]);
  }
  return shortened_at_word(plain);
}

// Scopes and topics come from payloads and headers: the same inert text as template values (no
// formatting, no line breaks), short enough that the digest stays one line.
std::string inert_name(const std::string& name) { return text::shortened(bindings::inert_text(name), 100); }
}  // namespace

std::size_t Send::lines() const { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1; }

std::string digest_line(std::size_t count, const std::string& what, const std::string& scope,
                        const std::string& latest) {
  std::string line = "… and " + std::to_string(count) + " more " + inert_name(what);
  if (const auto place = inert_name(scope); !place.empty()) line += " in " + place;
  if (!latest.empty()) line += " (latest: " + summary_of(latest) + ")";
  return line;
}

std::string late_marker(std::chrono::seconds age) {
  const auto s = age.count();
  const auto in = [](long long amount, const char* unit, long long rest, const char* rest_unit) {
    return std::to_string(amount) + unit + (rest ? " " + std::to_string(rest) + rest_unit : std::string());
  };
  std::string text;
  if (s < 60) text = std::to_string(s) + "s";
  else if (s < 3600) text = std::to_string(s / 60) + "m";
  else if (s < 86400) text = in(s / 3600, "h", s % 3600 / 60, "m");
  else text = in(s / 86400, "d", s % 86400 / 3600, "h");
  return "[" + text + " late]";
}

std::size_t Backlog::line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

std::size_t Backlog::entry_lines(const Entry& e) const {
  const std::size_t own = e.digest_pending ? 0 : e.first.render ? 1 : line_count(e.first.text);
  return own + (e.digested.empty() ? 0 : 1);
}

void Backlog::count_lines() {
  lines_ = 0;
  unsure_lines_ = 0;
  for (const auto& e : entries_) {
    lines_ += entry_lines(e);
    if (e.first.render) unsure_lines_ += e.first.max_lines - 1;
  }
}

void Backlog::push(Output output) {
  Entry e{std::move(output), {}, {}, false};
  lines_ += entry_lines(e);
  if (e.first.render) unsure_lines_ += e.first.max_lines - 1;
  entries_.push_back(std::move(e));
}

bool Backlog::render_wanted(const std::function<bool(std::size_t index)>& wanted, const Render& render) {
  bool all_rendered = true;
  std::deque<Entry> kept;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    auto& e = entries_[i];
    if (e.first.render && wanted(i) && !render(e.first)) {
      all_rendered = false;
      continue;
    }
    kept.push_back(std::move(e));
  }
  entries_ = std::move(kept);
  count_lines();
  return all_rendered;
}

void Backlog::render_all(const Render& render) {
  if (std::none_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !!e.first.render; })) return;
  render_wanted([](std::size_t) { return true; }, render);
}

std::size_t Backlog::coalesce(std::size_t capacity, const Render& render) {
  // Until nothing fails: a dropped output changes which entries lead their group or come last,
  // and may bring the lines back within capacity.
  for (bool settled = false; !settled;) {
    if (lines_ <= capacity) {
      // Nothing is coalesced unless their real lines are over capacity: every output is rendered.
      render_all(render);
      if (lines_ <= capacity) return 0;
      break;  // coalesced below, all rendered
    }
    // Coalesced (the lines only grow once rendered): each group's first output is said in full and
    // its last one is the digest's "latest"; the ones between are only counted.
    std::map<std::string, std::size_t> first, last;  // digest group → index of the entry
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const auto& group = entries_[i].first.digest_group;
      if (group.empty()) continue;
      first.try_emplace(group, i);
      last[group] = i;
    }
    settled = render_wanted(
        [&](std::size_t i) {
          const auto& group = entries_[i].first.digest_group;
          return group.empty() || first[group] == i || last[group] == i;
        },
        render);
  }
  if (lines_ <= capacity) return 0;
  std::size_t coalesced = 0;
  std::map<std::string, std::size_t> head;  // digest group → index of its first entry in `kept`
  std::deque<Entry> kept;
  for (auto& e : entries_) {
    auto it = head.find(e.first.digest_group);
    if (e.first.digest_group.empty() || it == head.end()) {
      if (!e.first.digest_group.empty()) head[e.first.digest_group] = kept.size();
      kept.push_back(std::move(e));
      continue;
    }
    Entry& into = kept[it->second];
    // The coalesced entry's own digest (from an earlier coalescing) folds in too.
    if (!e.digest_pending) {
      into.digested.push_back(e.first.key);
      into.latest = e.first.text;
      ++coalesced;
    }
    into.digested.insert(into.digested.end(), e.digested.begin(), e.digested.end());
    if (!e.latest.empty()) into.latest = e.latest;
  }
  entries_ = std::move(kept);
  count_lines();
  return coalesced;
}

Send Backlog::pop() {
  Entry& e = entries_.front();
  Send s;
  s.target = e.first.target;
  s.notice = e.first.notice;
  if (!e.digest_pending) {
    s.text = e.first.text;
    s.received = e.first.received;
    s.sent.push_back(e.first.key);
    if (e.digested.empty()) {
      lines_ -= entry_lines(e);
      entries_.pop_front();
      return s;
    }
    // Said in full now; its digest goes out as the next send so each line keeps its own delivery.
    lines_ -= line_count(e.first.text);
    e.digest_pending = true;
    return s;
  }
  s.text = digest_line(e.digested.size(), e.first.what, e.first.scope, e.latest);
  s.digested = std::move(e.digested);
  lines_ -= 1;
  entries_.pop_front();
  return s;
}

std::vector<DeliveryKey> Backlog::drain() {
  std::vector<DeliveryKey> keys;
  for (auto& e : entries_) {
    if (!e.digest_pending) keys.push_back(e.first.key);
    keys.insert(keys.end(), e.digested.begin(), e.digested.end());
  }
  entries_.clear();
  lines_ = 0;
  return keys;
}

}  // namespace chatops::bot
