/* Stand-ins for the CPython 2.7 C API symbols that the artifact's libmesos
 * (_scheduler.so, a CPython extension module) leaves undefined. Nothing
 * Python runs in the master, the agent or the containerizer: these only
 * satisfy the dynamic loader. Every function fails if it is ever called. */
#include <stdio.h>
#include <stdlib.h>

static void py_stub_called(const char *name) {
  fprintf(stderr, "real-mesos: CPython stub %s called; no Python runs here\n", name);
  abort();
}

#define PY_STUB(name) void *name(void) { py_stub_called(#name); return 0; }

PY_STUB(PyArg_ParseTuple)
PY_STUB(PyDict_GetItemString)
PY_STUB(PyErr_Format)
PY_STUB(PyErr_Occurred)
PY_STUB(PyErr_Print)
PY_STUB(PyEval_InitThreads)
PY_STUB(PyEval_RestoreThread)
PY_STUB(PyEval_SaveThread)
PY_STUB(PyGILState_Ensure)
PY_STUB(PyGILState_Release)
PY_STUB(PyImport_ImportModule)
PY_STUB(PyInt_FromLong)
PY_STUB(PyIter_Next)
PY_STUB(PyList_GetItem)
PY_STUB(PyList_New)
PY_STUB(PyList_SetItem)
PY_STUB(PyList_Size)
PY_STUB(PyModule_AddObject)
PY_STUB(PyModule_GetDict)
PY_STUB(PyObject_CallMethod)
PY_STUB(PyObject_GetIter)
PY_STUB(PyString_AsStringAndSize)
PY_STUB(PyType_Ready)
PY_STUB(Py_InitModule4_64)

/* Data symbols: only their addresses are taken. */
void *PyExc_Exception = 0;
void *PyExc_TypeError = 0;
char _Py_NoneStruct[64];
