#pragma once
// The `freshlane` command line: serve, migrate, seed-demo, --help. Returns the exit code.
namespace freshlane::app {

int run_command_line(int argc, char** argv);

}  // namespace freshlane::app
