"""Images: uploads, the import pipeline, serving pictures, export and import of labels.

Services (each module's docstring has the details):

- ``uploads.receive_upload(project, user, files) -> UploadBatch`` stages files and enqueues
  the "import" job; raises ``uploads.UploadRejected`` when nothing is acceptable.
- ``importing.import_staged_batch(batch, progress)`` is what that job runs;
  ``importing.import_sources`` imports any files (``manage.py import_folder`` uses it).
- ``image_bytes.open_image(image)`` is the one way to read a picture's bytes, stored or
  left in its import's bucket; raises ``image_bytes.ImageUnavailable`` naming the cause.
- ``export.csv_lines / json_chunks / imagenet_zip_chunks(project)`` stream the exports.
- ``label_import.import_labels(project, user, csv_file) -> LabelImportReport``; raises
  ``label_import.LabelFileRejected`` for a file that cannot be read at all.

URL names: ``image-thumbnail``, ``image-file`` (project_id, image_id) and the year-cached
``image-thumbnail-hashed``, ``image-file-hashed`` (project_id, image_id, content_hash);
``project-export-csv``, ``project-export-json``, ``project-export-zip`` (project_id).
Commands: ``import_folder <project id> <folder>``, ``remove_orphan_files``.
"""
