// Adds a note through the JSON API, then reloads the list.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("new-note");
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const response = await fetch("/api/notes", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data),
    });
    if (response.ok) {
      window.location.reload();
    } else {
      const body = await response.json();
      error.textContent = body.error.message;
      error.hidden = false;
    }
  });
});
