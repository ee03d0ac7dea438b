# Sourced by the check scripts: makes the virtual environment .build-venv with the pinned packages
# the checks compare against (ONNX, ONNX Runtime, TensorBoard's reader, NumPy) and sets $python.
# Creates it once; a later run only checks that the packages import.
venv=.build-venv
python="$venv/bin/python"
if ! "$python" -c "import onnx, onnxruntime, tensorboard, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check \
        numpy onnx==1.23.2 onnxruntime==1.32.0 tensorboard==2.21.0
fi
