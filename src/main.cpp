#include "freshlane/app/commands.hpp"

int main(int argc, char** argv) { return freshlane::app::run_command_line(argc, argv); }
