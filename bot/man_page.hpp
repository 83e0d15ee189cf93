#pragma once
// The man pages, generated from the same declarations as the rest of the documentation:
// chatops-bot(1) from the command line's options, chatops-bot.yml(5) from the configuration's
// schemas (like docs/configuration.md). `cmake --install` installs them (built by the binary).
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace chatops::bot {

// `version` goes into the page's footer.
std::string command_man_page(const CLI::App& cli, std::string_view version);
std::string config_man_page(std::string_view version);

}  // namespace chatops::bot
