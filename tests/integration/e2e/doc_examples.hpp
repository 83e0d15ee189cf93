#pragma once
// Running docs/examples.md word for word: its code blocks under a heading, an example's
// `sources: … binds: …` as the test bot's config, and the channel's lines without IRC formatting,
// to compare with the page's ```text blocks.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/e2e/bot_config.hpp"
#include "tests/integration/support/irc_test_client.hpp"
#include "tests/integration/support/process.hpp"

namespace chatops::test::examples {

// The ```<lang> blocks of docs/examples.md after the line `heading`, up to the next heading of
// that level or above.
inline std::vector<std::string> blocks(const std::string& heading, const std::string& lang) {
  const auto doc = read_file(std::string(CHATOPS_SOURCE_DIR) + "/docs/examples.md");
  const auto at = doc.find("\n" + heading + "\n");
  REQUIRE(at != std::string::npos);
  const auto level = heading.substr(0, heading.find(' ') + 1);  // "### "
  auto end = doc.find("\n" + level, at + heading.size() + 1);
  for (std::string up = level.substr(1); up.size() > 1; up = up.substr(1))
    end = std::min(end, doc.find("\n" + up, at + heading.size() + 1));
  std::vector<std::string> out;
  for (auto open = doc.find("```" + lang + "\n", at); open < end; open = doc.find("```" + lang + "\n", open + 1)) {
    const auto start = open + lang.size() + 4;
    out.push_back(doc.substr(start, doc.find("```", start) - start));
  }
  return out;
}

// `text` with `from` (which must be there) replaced by `to`.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// A `sources: … binds: …` example as the test bot's config, in `channel`.
inline std::string bot_yaml(const std::string& example, int irc_port, const std::string& channel) {
  const auto binds = example.find("binds:\n");
  REQUIRE(example.starts_with("sources:\n"));
  REQUIRE(binds != std::string::npos);
  BotConfig c;
  c.irc_port = irc_port;
  c.channel = channel;
  c.flood = "{burst: 10, rate: 10}";
  c.sources = example.substr(9, binds - 9);
  c.binds = example.substr(binds + 7);
  return bot_config_yaml(c);
}

// IRC formatting codes removed: bold, colour (with its digits), reset, underline, reverse, italic.
inline std::string plain(const std::string& text) {
  std::string out;
  auto digit = [&](std::size_t i) { return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\x03') {
      for (int n = 0; n < 2 && digit(i + 1); ++n) ++i;
      if (i + 2 < text.size() && text[i + 1] == ',' && digit(i + 2)) {
        i += 2;
        if (digit(i + 1)) ++i;
      }
    } else if (c != '\x02' && c != '\x0f' && c != '\x1f' && c != '\x16' && c != '\x1d') {
      out += c;
    }
  }
  return out;
}

// The source has committed a cursor in the bot's journal (in `dir`): it has started, and what
// happens upstream from now on is new to it.
inline bool has_cursor(const TempDir& dir, const std::string& source) {
  try {
    SQLite::Database journal((dir / "chatops.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(journal, "SELECT 1 FROM cursors WHERE source = ?");
    q.bind(1, source);
    return q.executeStep();
  } catch (const SQLite::Exception&) {
    return false;  // not created yet
  }
}

// The non-empty lines of a block.
inline std::vector<std::string> lines(const std::string& block) {
  std::vector<std::string> out;
  std::stringstream s(block);
  for (std::string line; std::getline(s, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// What `nick` said in `channel`, formatting removed, in order.
inline std::vector<std::string> said(const IrcTestClient& watcher, const std::string& channel,
                                     const std::string& nick = "opsbot") {
  std::vector<std::string> out;
  for (const auto& m : watcher.messages())
    if (m.nick == nick && m.target == channel) out.push_back(plain(m.text));
  return out;
}

}  // namespace chatops::test::examples
