// The time of one MPI_Allreduce (sum, in place) of COUNT floats on the ranks of the job, for the
// cost model of scripts/bench_distributed.sh: 3 warm-up calls, then REPS timed calls, each after a
// barrier; rank 0 prints the median in milliseconds.
// Usage: mpirun … allreduce_time COUNT [REPS]   (built by bench_distributed.sh with mpicc's flags)
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    long count = argc > 1 ? atol(argv[1]) : 0;
    int reps = argc > 2 ? atoi(argv[2]) : 20;
    if (count < 1 || count > 1L << 30 || reps < 1 || reps > 10000) {
        fprintf(stderr, "usage: allreduce_time COUNT [REPS]  (1 ≤ COUNT ≤ 2^30, 1 ≤ REPS ≤ 10000)\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    float *values = calloc((size_t)count, sizeof *values);
    double *times = malloc((size_t)reps * sizeof *times);
    if (!values || !times) {
        fprintf(stderr, "allreduce_time: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int i = -3; i < reps; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (i >= 0) times[i] = MPI_Wtime() - start;
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    qsort(times, (size_t)reps, sizeof *times, ascending);
    if (rank == 0) printf("%.3f\n", 1000 * times[reps / 2]);
    free(values);
    free(times);
    MPI_Finalize();
    return 0;
}
