// Open MPI (Debian: libopenmpi-dev), found through pkg-config's ompi-c. Open MPI spells its
// handles and MPI_IN_PLACE as macros over internal symbols, which Swift cannot import; these
// functions hand them over.
#ifndef EASYNETS_CMPI_SHIM_H
#define EASYNETS_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm easynets_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype easynets_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype easynets_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype easynets_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype easynets_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Op easynets_mpi_op_null(void) { return MPI_OP_NULL; }
static inline MPI_Op easynets_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op easynets_mpi_min(void) { return MPI_MIN; }
static inline MPI_Datatype easynets_mpi_int(void) { return MPI_INT; }
static inline void *easynets_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request easynets_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *easynets_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Info easynets_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Comm easynets_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Win easynets_mpi_win_null(void) { return MPI_WIN_NULL; }
static inline int easynets_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int easynets_mpi_mode_nocheck(void) { return MPI_MODE_NOCHECK; }

#endif
