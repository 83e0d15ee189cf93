#include "bot/man_page.hpp"

#include <CLI/CLI.hpp>

#include "bot/app_config.hpp"
#include "core/config/schema.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::bot {
namespace {

std::string header(const std::string& name, int section, std::string_view version) {
  return ".TH " + name + " " + std::to_string(section) + " \"\" \"chatops-bot " + std::string(version) +
         "\" \"chatops-bot manual\"\n";
}

// `text` as a paragraph, after a .PP unless it opens a section.
std::string paragraph(std::string_view text, bool first = false) {
  return (first ? "" : ".PP\n") + config::roff_text(text) + "\n";
}

std::string option_entry(const CLI::Option& option) {
  std::string names;
  for (const auto& name : option.get_snames()) names += (names.empty() ? "" : ", ") + config::roff_text("`-" + name + "`");
  for (const auto& name : option.get_lnames()) names += (names.empty() ? "" : ", ") + config::roff_text("`--" + name + "`");
  if (option.get_type_size() != 0) names += " \\fI" + config::roff_text(option.get_type_name()) + "\\fR";
  std::string text = option.get_description();
  if (!option.get_default_str().empty()) text += " (default: `" + option.get_default_str() + "`)";
  return ".TP\n" + names + "\n" + config::roff_text(text) + "\n";
}

}  // namespace

std::string command_man_page(const CLI::App& cli, std::string_view version) {
  std::string out = header("CHATOPS\\-BOT", 1, version);
  out += ".SH NAME\nchatops\\-bot \\- says what happens in your systems in your IRC channels\n";
  out += ".SH SYNOPSIS\n.B chatops\\-bot\n[\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n";
  out += paragraph(
      "chatops-bot receives events (signed webhooks from GitHub, GitLab, Jenkins, Alertmanager, PagerDuty, or "
      "any JSON sender), writes them to a durable journal (SQLite) before it acknowledges them, and says them in "
      "IRC channels through an Eggdrop-style bind table and templates, within the server's flood limits.",
      true);
  out += paragraph(
      "Everything it does is declared in its configuration file, chatops-bot.yml(5): the IRC connection, the "
      "HTTP listener, the journal, the sources and the binds. An invalid configuration stops it before it does "
      "anything, with every problem named by file:line:column.");
  out += ".SH OPTIONS\n";
  for (const CLI::Option* option : cli.get_options()) out += option_entry(*option);
  out += ".SH SIGNALS\n.TP\n.BR SIGTERM \", \" SIGINT\n";
  out += config::roff_text(
             "Stop: the IRC connection says QUIT, webhooks in flight are answered, the journal is closed. Events "
             "journaled but not yet said are said after the next start.") +
         "\n";
  out += ".SH EXIT STATUS\n";
  for (const auto& [status, meaning] : {
           std::pair{"0", "Stopped on a signal, or `--check` found the configuration valid."},
           std::pair{"1", "Start-up failed (for example the HTTP address is taken or the journal cannot be opened)."},
           std::pair{"2", "The configuration is invalid (the problems are printed on standard error)."},
       })
    out += std::string(".TP\n") + status + "\n" + config::roff_text(meaning) + "\n";
  out += ".SH ENVIRONMENT\n";
  out += paragraph("The configuration file reads the environment where it says `${NAME}` or `${NAME:-default}`; "
                   "an unset variable without a default is a configuration error.",
                   true);
  out += ".SH FILES\n.TP\n.I /etc/chatops\\-bot/chatops\\-bot.yml\n";
  out += config::roff_text("The configuration read by the systemd unit chatops-bot.service; its secrets can come "
                           "from /etc/chatops-bot/environment.") +
         "\n.TP\n.I /var/lib/chatops\\-bot/\n" +
         config::roff_text("The journal (`storage.path`) under the systemd unit.") + "\n";
  out += ".SH SEE ALSO\n.BR chatops\\-bot.yml (5),\n.BR systemctl (1)\n";
  return out;
}

std::string config_man_page(std::string_view version) {
  std::string out = header("CHATOPS\\-BOT.YML", 5, version);
  out += ".SH NAME\nchatops\\-bot.yml \\- configuration file of chatops\\-bot\n";
  out += ".SH DESCRIPTION\n";
  out += paragraph(
      "chatops-bot(1) reads one YAML file. Values may use `${NAME}` or `${NAME:-default}` to read the "
      "environment; durations are written with their unit, `250ms`, `30s`, `5m`, `2h`, `1d`, sizes `64KiB`, `25MiB`. "
      "`chatops-bot --check --config FILE` reports every problem with file:line:column.",
      true);
  out += ".SH KEYS\n" + config::to_man(app_schema());
  out += ".SH SOURCES\n";
  out += paragraph("Every entry of `sources:` has the keys below; `kind` selects the rest.", true);
  out += config::to_man(ingestion::common_source_schema());
  for (const auto& kind : ingestion::source_kinds()) {
    out += ".SS \"kind: " + config::roff_text(kind.name) + "\"\n" + config::roff_text(kind.doc) + "\n";
    for (const auto& schema : kind.schemas()) out += config::to_man(schema);
  }
  out += ".SH SEE ALSO\n.BR chatops\\-bot (1)\n";
  return out;
}

}  // namespace chatops::bot
