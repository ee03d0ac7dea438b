import EasyNetsTool

// The tool without Open MPI: every command, training in one process (`easynets-mpi` trains under `mpirun`).
EasyNetsCommand.main()
