"""UI helpers of the Streamlit app: charts and shared session state (no model logic)."""
