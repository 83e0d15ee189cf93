#include "core/text/wildcard.hpp"

#include <algorithm>
#include <vector>

namespace chatops::text {
namespace {

enum class Kind : unsigned char { Literal, AnyOne, AnyRun, NonSpaceRun, SpaceRun };
struct Token {
  Kind kind;
  char c;  // Literal only, already folded
};

bool is_run(Kind k) { return k == Kind::AnyRun || k == Kind::NonSpaceRun || k == Kind::SpaceRun; }

bool is_wildcard(char c, bool eggdrop) {
  return c == '*' || c == '?' || c == '\\' || (eggdrop && (c == '%' || c == '~'));
}

std::vector<Token> compile(std::string_view mask, const WildcardOptions& opts) {
  const auto fold_c = [&](char c) { return opts.casemapping ? fold(c, *opts.casemapping) : c; };
  std::vector<Token> tokens;
  tokens.reserve(mask.size() + 1);
  for (std::size_t i = 0; i < mask.size(); ++i) {
    const char c = mask[i];
    if (c == '\\' && i + 1 < mask.size() && is_wildcard(mask[i + 1], opts.eggdrop)) {
      tokens.push_back({Kind::Literal, fold_c(mask[++i])});
    } else if (c == '*') {
      if (tokens.empty() || tokens.back().kind != Kind::AnyRun) tokens.push_back({Kind::AnyRun, 0});
    } else if (c == '?') {
      tokens.push_back({Kind::AnyOne, 0});
    } else if (opts.eggdrop && c == '%') {
      tokens.push_back({Kind::NonSpaceRun, 0});
    } else if (opts.eggdrop && c == '~') {
      tokens.push_back({Kind::Literal, ' '});
      tokens.push_back({Kind::SpaceRun, 0});
    } else {
      tokens.push_back({Kind::Literal, fold_c(c)});
    }
  }
  return tokens;
}

// Runs may match nothing, so a state before a run also stands after it.
void close(const std::vector<Token>& tokens, std::vector<char>& states) {
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (states[i] && is_run(tokens[i].kind)) states[i + 1] = 1;
}

}  // namespace

bool wildcard_match(std::string_view mask, std::string_view text, WildcardOptions opts) {
  const auto tokens = compile(mask, opts);
  const auto n = tokens.size();
  // states[i]: the text read so far can be matched by the first i tokens.
  std::vector<char> states(n + 1, 0), next(n + 1, 0);
  states[0] = 1;
  close(tokens, states);
  for (const char raw : text) {
    const char c = opts.casemapping ? fold(raw, *opts.casemapping) : raw;
    std::fill(next.begin(), next.end(), 0);
    bool alive = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!states[i]) continue;
      const auto& t = tokens[i];
      std::size_t to = n + 1;  // no move
      switch (t.kind) {
        case Kind::Literal: if (t.c == c) to = i + 1; break;
        case Kind::AnyOne: to = i + 1; break;
        case Kind::AnyRun: to = i; break;
        case Kind::NonSpaceRun: if (c != ' ') to = i; break;
        case Kind::SpaceRun: if (c == ' ') to = i; break;
      }
      if (to <= n) {
        next[to] = 1;
        alive = true;
      }
    }
    if (!alive) return false;
    close(tokens, next);
    states.swap(next);
  }
  return states[n];
}

}  // namespace chatops::text
