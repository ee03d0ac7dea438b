import ArgumentParser
import EasyNets

/// A group of processes `easynets train` has joined, ended with ``finalize()`` after its last
/// collective.
public protocol JoinedProcessGroup: ProcessGroup {
    /// Ends this process's part in the group.
    func finalize()
}

/// How `easynets train` joins the job a launcher such as `mpirun` started it in. The
/// `easynets-mpi` executable sets ``EasyNetsCommand/processLauncher`` to Open MPI's before it
/// runs the tool; `easynets`, built without Open MPI, has none and trains in one process.
public struct ProcessLauncher: Sendable {
    /// Joins the job.
    public let join: @Sendable () throws -> any JoinedProcessGroup

    /// A launcher that joins a job with `join`.
    public init(join: @escaping @Sendable () throws -> any JoinedProcessGroup) { self.join = join }
}

extension Train {
    /// The group of the job `mpirun` started this process in, or `nil` for a process started
    /// alone. Under `mpirun`, a tool without a ``EasyNetsCommand/processLauncher`` (built without
    /// Open MPI) would train the whole run in each process: it is refused, naming `easynets-mpi`.
    func joinLaunchedJob() throws -> (any JoinedProcessGroup)? {
        guard LaunchEnvironment.isLaunchedByMPI else { return nil }
        guard let launcher = EasyNetsCommand.processLauncher else {
            if LaunchEnvironment.rank ?? 0 == 0 {  // once for the job
                printError("error: this easynets was built without Open MPI and cannot train data-parallel under mpirun; run "
                           + "easynets-mpi instead (swift build -c release --product easynets-mpi; it needs libopenmpi-dev)")
            }
            throw ExitCode.failure
        }
        return try launcher.join()
    }
}
