"""The after-sales console (售后工作台): a keyboard-only terminal console for Taobao shop agents."""
