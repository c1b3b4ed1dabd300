#include "app/cli.hpp"

int main(int argc, char** argv) { return berth::app::run_cli(argc, argv); }
