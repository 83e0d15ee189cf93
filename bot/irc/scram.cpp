#include "bot/irc/scram.hpp"

#include <charconv>
#include <utility>

#include "core/crypto.hpp"

namespace chatops::irc {
namespace {

using crypto::Digest;

constexpr std::string_view kGs2Header = "n,,";  // no channel binding, no authzid
constexpr std::string_view kChannelBinding = "biws";  // base64 of kGs2Header

// RFC 5802 5.1: ',' and '=' in a saslname are written =2C and =3D.
std::string saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out += c;
  }
  return out;
}

// The value of attribute `key` at the front of `message` ("k=value,…"), consumed with its comma.
std::optional<std::string_view> take_attribute(std::string_view& message, char key) {
  if (message.size() < 2 || message[0] != key || message[1] != '=') return std::nullopt;
  const auto comma = message.find(',');
  const auto value = message.substr(2, comma == std::string_view::npos ? std::string_view::npos : comma - 2);
  message = comma == std::string_view::npos ? std::string_view() : message.substr(comma + 1);
  return value;
}

std::string xor_bytes(std::string a, std::string_view b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] = static_cast<char>(a[i] ^ b[i]);
  return a;
}

}  // namespace

ScramSha256Exchange::ScramSha256Exchange(std::string username, std::string password, std::string client_nonce)
    : username_(std::move(username)), password_(std::move(password)), client_nonce_(std::move(client_nonce)) {}

Result<std::string> ScramSha256Exchange::respond(std::string_view challenge) {
  switch (step_) {
    case Step::Start:
      if (!challenge.empty()) return refuse("the server sent data before the client-first message");
      client_first_bare_ = "n=" + saslname(username_) + ",r=" + client_nonce_;
      step_ = Step::SentFirst;
      return std::string(kGs2Header) + client_first_bare_;
    case Step::SentFirst: return client_final(challenge);
    case Step::SentFinal: return verify(challenge);
    case Step::Verified: break;
  }
  return refuse("the server sent more after its final message");
}

Result<std::string> ScramSha256Exchange::client_final(std::string_view server_first) {
  std::string_view rest = server_first;
  const auto nonce = take_attribute(rest, 'r');
  const auto salt_b64 = take_attribute(rest, 's');
  const auto iterations_text = take_attribute(rest, 'i');
  if (!nonce || !salt_b64 || !iterations_text) return refuse("malformed server-first message");
  // The server's nonce extends ours: anything else is a replay or another exchange.
  if (!nonce->starts_with(client_nonce_) || nonce->size() == client_nonce_.size())
    return refuse("the server's nonce does not extend the client's");
  const auto salt = crypto::from_base64(*salt_b64);
  if (!salt || salt->empty()) return refuse("malformed salt");
  unsigned iterations = 0;
  const auto* end = iterations_text->data() + iterations_text->size();
  if (std::from_chars(iterations_text->data(), end, iterations).ptr != end || iterations == 0)
    return refuse("malformed iteration count");
  if (iterations > kMaxIterations)
    return refuse("iteration count " + std::to_string(iterations) + " above " + std::to_string(kMaxIterations));

  const std::string without_proof = "c=" + std::string(kChannelBinding) + ",r=" + std::string(*nonce);
  const std::string auth_message =
      client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  const auto salted = crypto::pbkdf2(Digest::Sha256, password_, *salt, iterations, crypto::digest_size(Digest::Sha256));
  const auto client_key = crypto::hmac(Digest::Sha256, salted, "Client Key");
  const auto stored_key = crypto::hash(Digest::Sha256, client_key);
  const auto client_signature = crypto::hmac(Digest::Sha256, stored_key, auth_message);
  const auto server_key = crypto::hmac(Digest::Sha256, salted, "Server Key");
  server_signature_ = crypto::hmac(Digest::Sha256, server_key, auth_message);
  step_ = Step::SentFinal;
  return without_proof + ",p=" + crypto::to_base64(xor_bytes(client_key, client_signature));
}

Result<std::string> ScramSha256Exchange::verify(std::string_view server_final) {
  std::string_view rest = server_final;
  if (const auto error = take_attribute(rest, 'e')) return refuse("the server reports " + std::string(*error));
  const auto signature = take_attribute(rest, 'v');
  const auto decoded = signature ? crypto::from_base64(*signature) : std::nullopt;
  if (!decoded || !crypto::constant_time_equal(*decoded, server_signature_))
    return refuse("the server's signature is wrong: it does not know the password");
  step_ = Step::Verified;
  return std::string();
}

Result<std::string> ScramSha256Exchange::refuse(std::string why) {
  refused_ = true;
  return fail("SCRAM-SHA-256: " + why);
}

}  // namespace chatops::irc
