// berth_fsck_tool: `berth fsck` as a standalone executable, for operators
// and for the integration tests while (or where) the berth CLI does not
// carry the subcommand. Same flags; see fsck.hpp.
#include "fsck/fsck.hpp"

int main(int argc, char** argv) { return berth::fsck::fsck_main(argc, argv); }
