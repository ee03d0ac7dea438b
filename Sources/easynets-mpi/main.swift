import EasyNetsDistributed
import EasyNetsTool

// The tool with data-parallel training under Open MPI: `mpirun -np N easynets-mpi train …`.
extension MPIProcessGroup: JoinedProcessGroup {}

EasyNetsCommand.processLauncher = ProcessLauncher { try MPIProcessGroup() }
EasyNetsCommand.main()
