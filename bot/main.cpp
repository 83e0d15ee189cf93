#include <cstdio>

int main() {
  std::puts("chatops-bot: not wired yet");
  return 0;
}
