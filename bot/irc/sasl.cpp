#include "bot/irc/sasl.hpp"

#include <array>
#include <utility>

#include "bot/irc/ecdsa_challenge.hpp"
#include "bot/irc/scram.hpp"
#include "core/crypto.hpp"

namespace chatops::irc {
namespace {

constexpr std::size_t kChunk = 400;  // AUTHENTICATE payload chunk (IRCv3 SASL 3.1)
constexpr std::size_t kScramNonceBytes = 24;

constexpr std::array<std::pair<SaslMechanism, std::string_view>, 4> kNames = {{
    {SaslMechanism::Plain, "PLAIN"},
    {SaslMechanism::External, "EXTERNAL"},
    {SaslMechanism::ScramSha256, "SCRAM-SHA-256"},
    {SaslMechanism::EcdsaNist256pChallenge, "ECDSA-NIST256P-CHALLENGE"},
}};

Result<std::string> unexpected_challenge(SaslMechanism m) {
  return fail("the server sent an unexpected " + std::string(mechanism_name(m)) + " challenge");
}

}  // namespace

std::string_view mechanism_name(SaslMechanism m) {
  for (const auto& [mech, name] : kNames)
    if (mech == m) return name;
  return "PLAIN";
}

std::optional<SaslMechanism> mechanism_from_name(std::string_view name) {
  for (const auto& [mech, known] : kNames)
    if (known == name) return mech;
  return std::nullopt;
}

std::unique_ptr<SaslExchange> make_exchange(SaslMechanism mechanism, const SaslConfig& config) {
  switch (mechanism) {
    case SaslMechanism::Plain: return std::make_unique<PlainExchange>(config.username, config.password);
    case SaslMechanism::External: return std::make_unique<ExternalExchange>();
    case SaslMechanism::ScramSha256: {
      // Base64 keeps the nonce printable and free of ',' as RFC 5802 requires.
      auto nonce = crypto::to_base64(crypto::random_bytes(kScramNonceBytes));
      return std::make_unique<ScramSha256Exchange>(config.username, config.password, std::move(nonce));
    }
    case SaslMechanism::EcdsaNist256pChallenge:
      return std::make_unique<EcdsaChallengeExchange>(config.username, config.ecdsa_key);
  }
  return nullptr;
}

PlainExchange::PlainExchange(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

Result<std::string> PlainExchange::respond(std::string_view challenge) {
  if (sent_ || !challenge.empty()) return unexpected_challenge(mechanism());
  sent_ = true;
  std::string response = username_;
  response += '\0';
  response += username_;
  response += '\0';
  response += password_;
  return response;
}

Result<std::string> ExternalExchange::respond(std::string_view challenge) {
  if (sent_ || !challenge.empty()) return unexpected_challenge(mechanism());
  sent_ = true;
  return std::string();
}

std::vector<Message> authenticate_lines(std::string_view payload) {
  const std::string encoded = crypto::to_base64(payload);
  std::vector<Message> out;
  for (std::size_t pos = 0; pos < encoded.size(); pos += kChunk)
    out.push_back(Message{{}, {}, "AUTHENTICATE", {encoded.substr(pos, kChunk)}});
  if (encoded.size() % kChunk == 0) out.push_back(Message{{}, {}, "AUTHENTICATE", {"+"}});
  return out;
}

AuthenticateReader::Status AuthenticateReader::feed(std::string_view param) {
  if (param == "+") {
    // "+" alone is the empty challenge; after full chunks it ends the challenge.
  } else {
    if (param.empty() || param.size() > kChunk || encoded_.size() + param.size() > kMaxChallenge) {
      encoded_.clear();
      return Status::Invalid;
    }
    encoded_ += param;
    if (param.size() == kChunk) return Status::More;
  }
  auto decoded = crypto::from_base64(encoded_);
  encoded_.clear();
  if (!decoded) return Status::Invalid;
  decoded_ = std::move(*decoded);
  return Status::Done;
}

std::string AuthenticateReader::take() { return std::exchange(decoded_, {}); }

}  // namespace chatops::irc
